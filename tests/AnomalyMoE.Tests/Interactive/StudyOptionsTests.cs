using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;

namespace AnomalyMoE.Tests.Interactive;

public class StudyOptionsTests
{
    public static TheoryData<StudyOptions, string> BadOptions() => new()
    {
        { StudyOptions.Fast with { Family = "aerial" }, "Family 'aerial'" },
        { StudyOptions.Fast with { DataRoot = "/no/such/dataset" }, "DataRoot '/no/such/dataset'" },
        { StudyOptions.Fast with { Preset = "huge" }, "preset 'huge'" },
        { StudyOptions.Fast with { Iterations = 0 }, "Iterations" },
        { StudyOptions.Fast with { SynthSize = 8 }, "Size 8" },
    };

    /// <summary>A bad study setting is the user's to fix: the kit's own exception, naming the value.</summary>
    [Theory]
    [MemberData(nameof(BadOptions))]
    public void A_bad_setting_throws_the_kits_exception_naming_it(StudyOptions options, string named)
    {
        var e = Assert.Throws<AnomalyMoEException>(() => options.Validate());
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void The_notebook_settings_are_valid() => Assert.Same(StudyOptions.Fast, StudyOptions.Fast.Validate());

    [Theory]
    [InlineData(400, 2, 200)]
    [InlineData(401, 2, 200)]
    [InlineData(3, 2, 1)]
    [InlineData(1, 4, 1)]
    public void Sharing_a_budget_divides_the_iterations_and_keeps_at_least_one(int iterations, int runs, int expected) =>
        Assert.Equal(expected, (StudyOptions.CpuTiny with { Iterations = iterations }).SharedBy(runs).Iterations);

    [Fact]
    public void Sharing_the_presets_own_budget_divides_the_presets_iterations() =>
        Assert.Equal(TrainingPresets.Get("micro").Iterations / 2, (StudyOptions.Fast with { Iterations = null }).SharedBy(2).Iterations);
}
