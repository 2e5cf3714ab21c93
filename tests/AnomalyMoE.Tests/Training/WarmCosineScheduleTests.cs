using AnomalyMoE.Training;

namespace AnomalyMoE.Tests.Training;

public class WarmCosineScheduleTests
{
    // Hand-computed: base 1, final 0.01, 10 iterations, 5 warm-up points (numpy linspace(0, 1, 5)).
    readonly WarmCosineSchedule schedule = new(BaseValue: 1.0, FinalValue: 0.01, TotalIterations: 10, WarmupIterations: 5);

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1, 0.25)]
    [InlineData(4, 1.0)]
    public void Warm_up_is_a_linspace_that_includes_both_ends(int iteration, double expected) =>
        Assert.Equal(expected, schedule.At(iteration), 12);

    [Fact]
    public void Cosine_starts_at_the_base_value() => Assert.Equal(1.0, schedule.At(5), 12);

    [Fact]
    public void Cosine_midpoint_is_half_way() =>
        // i = 2 of n = 5 cosine points: 0.01 + 0.495 (1 + cos(2π/5))
        Assert.Equal(0.01 + 0.495 * (1 + Math.Cos(Math.PI * 2 / 5)), schedule.At(7), 12);

    [Fact]
    public void After_the_last_iteration_the_final_value_holds() => Assert.Equal(0.01, schedule.At(25), 12);

    [Fact]
    public void Reference_preset_warms_up_over_100_iterations_to_5e4()
    {
        var reference = WarmCosineSchedule.Reference(1000);
        Assert.Equal(0.0, reference.At(0));
        Assert.Equal(5e-4, reference.At(99), 15);
        Assert.Equal(5e-6, reference.At(1000), 15);
    }

    [Fact]
    public void Warm_up_longer_than_the_run_is_rejected() =>
        Assert.Throws<ArgumentException>(() => new WarmCosineSchedule(1, 0.01, 10, 10).Validate());
}
