using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Tests.Interactive;

/// <summary>A bad study setting is the user's to fix: the kit's own exception, naming the value.</summary>
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

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void A_bad_setting_throws_the_kits_exception_naming_it(StudyOptions options, string named)
    {
        var e = Assert.Throws<AnomalyMoEException>(() => options.Validate());
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void The_notebook_settings_are_valid() => Assert.Same(StudyOptions.Fast, StudyOptions.Fast.Validate());
}
