using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;

namespace AnomalyMoE.Tests.Training.Switches;

public class TrainingIdentityTests
{
    static readonly TrainingRunConfig Base = new() { Preset = "cpu-tiny", Data = [] };

    /// <summary>A grid point applied to cpu-tiny, and whether it trains the same weights as cpu-tiny itself.</summary>
    public static TheoryData<string, bool> Points() => new()
    {
        { "fusion=sum", true }, { "fusion-temperature=1", true }, { "test-groups=training-groups", true }, { "global-map=layout-memory", true }, { "component-map=reconstruction", true },
        // cpu-tiny holds no normals out, so its calibrated scoring trains what set min-max trains …
        { "scoring=set-min-max", true },
        // … but a hold-out keeps images out of training, and the layout-error map has a loss of its own.
        { "holdout=0.2", false }, { "global-map=layout-error", false }, { "eir=off", false }, { "routing=all-experts", false },
        { "fusion=sum;eir=off", false },
    };

    [Theory]
    [MemberData(nameof(Points))]
    public void Only_switches_that_change_how_a_model_is_scored_leave_its_training_the_same(string grid, bool alike)
    {
        var point = AblationPoint.Parse(grid).Apply(Base);

        var differences = TrainingIdentity.TrainingDifferences(Base, point);

        Assert.True(alike == differences is null, $"{grid}: {differences ?? "trains alike"}");
        Assert.Equal(differences is null, TrainingIdentity.TrainingDifferences(point, Base) is null);
    }

    [Fact]
    public void Another_iteration_count_or_method_trains_differently_and_says_so()
    {
        Assert.Contains("--iters", TrainingIdentity.TrainingDifferences(Base, Base with { Iterations = 10 }));
        Assert.Contains("method", TrainingIdentity.TrainingDifferences(Base, Base with { Method = DetectionMethod.PatchCore }));
    }
}
