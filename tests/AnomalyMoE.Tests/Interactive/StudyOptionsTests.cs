using AnomalyMoE.Interactive.Studies;

namespace AnomalyMoE.Tests.Interactive;

public class StudyOptionsTests
{
    [Theory]
    [InlineData(400, 2, 200)]
    [InlineData(401, 2, 200)]
    [InlineData(3, 2, 1)]
    [InlineData(1, 4, 1)]
    public void Sharing_a_budget_divides_the_iterations_and_keeps_at_least_one(int iterations, int runs, int expected) =>
        Assert.Equal(expected, (StudyOptions.CpuTiny with { Iterations = iterations }).SharedBy(runs).Iterations);

    [Fact]
    public void Sharing_the_presets_own_budget_divides_the_presets_iterations() =>
        Assert.Equal(AnomalyMoE.Training.TrainingPresets.Get("micro").Iterations / 2,
            (StudyOptions.Fast with { Iterations = null }).SharedBy(2).Iterations);
}
