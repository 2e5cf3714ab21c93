using AnomalyMoE.Data;
using AnomalyMoE.Engine;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Training;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;

namespace AnomalyMoE.Tests.Engine;

[Collection(EngineCollection.Name)]
public class AblationRunnerTests(EngineFixture fixture)
{
    [Fact]
    public void A_point_that_only_scores_differently_takes_its_finished_siblings_checkpoint_instead_of_training()
    {
        var root = fixture.NewRunFolder();
        var baseConfig = new TrainingRunConfig { Preset = "micro", Data = fixture.OneCategory, Iterations = 2, Seed = 3 };
        var categories = MvtecDatasetReader.Read(baseConfig.Sources()).Categories;
        var runs = AblationRunner.Runs(baseConfig, [AblationPoint.Default, AblationPoint.Parse("fusion=sum"), AblationPoint.Parse("eir=off")], baseline: false);
        var settings = new TrainingSettings(DeviceChoice.Cpu, FeatureCacheMiB: 0);

        var outcomes = runs.Select(r => AblationRunner.Run(r.Name, new RunDirectory(Path.Combine(root, r.Name)), r.Config, settings, categories)).ToList();

        Assert.Equal([0, 2, 0], outcomes.Select(o => o.Training!.StartIteration));
        Assert.All(outcomes, o => Assert.Equal(2, o.Training!.CompletedIterations));
        using var trained = TrainingCheckpoint.Load(outcomes[0].Run.LastCheckpointPath);
        using var adopted = TrainingCheckpoint.Load(outcomes[1].Run.LastCheckpointPath);
        using var own = TrainingCheckpoint.Load(outcomes[2].Run.LastCheckpointPath);
        Assert.All(trained.Section("model"), kv => Assert.True(kv.Value.allclose(adopted.Section("model")[kv.Key], rtol: 0, atol: 0), kv.Key));
        Assert.Contains(trained.Section("model"), kv => !kv.Value.allclose(own.Section("model")[kv.Key], rtol: 0, atol: 0));
        // The adopted checkpoint is the point's own run: resuming it is checked against the point's switches.
        Assert.Equal(runs[1].Config.ToJson(), adopted.Texts["config"]);
        Assert.Equal("sum", outcomes[1].Report.Switches["level_fusion"]);
    }
}
