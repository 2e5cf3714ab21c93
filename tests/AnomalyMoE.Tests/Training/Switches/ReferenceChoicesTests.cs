using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;
using Xunit.Abstractions;

namespace AnomalyMoE.Tests.Training.Switches;

public class ReferenceChoicesTests(ITestOutputHelper output)
{
    static TrainingRunConfig Config(string preset) => new() { Preset = preset, Data = [] };

    [Fact]
    public void Each_cpu_departure_becomes_one_point_that_switches_it_back_to_the_papers_value()
    {
        var config = Config(TrainingPresets.CpuTiny.Name);
        var points = AblationGrid.ReferenceChoices(config);
        foreach (var p in points) output.WriteLine(p.GridPoint);
        var run = new TrainingRun(config, new TrainingSettings());
        Assert.All(points, point =>
        {
            var setting = Assert.Single(point.Settings);
            Assert.Equal(setting.Switch.Effective(run, TrainingPresets.Paper), setting.Value);
            Assert.NotEqual(setting.Value, setting.Switch.Effective(run, config.ResolvePreset()));
            Assert.Equal(setting.Value, setting.Switch.Effective(run, point.Apply(config).ResolvePreset()));
        });
        // The departures docs/engine.md names for cpu-tiny, each switchable back.
        Assert.Subset(points.Select(p => p.GridPoint!).ToHashSet(),
            new HashSet<string> { "global-input=image", "execution=dense", "eir-estimator=after-step", "scoring=set-min-max", "unselected=step", "global-view=jittered",
                "global-map=student-discrepancy", "component-map=reconstruction", "fusion=sum" });
    }

    [Fact]
    public void The_reference_has_no_departures() => Assert.Empty(AblationGrid.ReferenceChoices(Config(TrainingPresets.Paper.Name)));
}
