using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Engine;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Model;
using AnomalyMoE.Routing;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Training;

[Collection(EngineCollection.Name)]
public class AnomalyMoETrainerTests(EngineFixture fixture)
{
    TrainingRunConfig Config(int iterations) => new() { Preset = "micro", Data = fixture.OneCategory, Iterations = iterations, Seed = 5 };

    /// <summary>Every tensor of every checkpoint section (model, estimator, both optimisers' states), by section and name.</summary>
    static Dictionary<string, float[]> State(RunDirectory run)
    {
        using var checkpoint = TrainingCheckpoint.Load(run.LastCheckpointPath);
        var state = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var section in new[] { "model", "estimator", "optimizer", "estimator_optimizer" })
        {
            foreach (var (name, tensor) in checkpoint.Section(section))
                state[$"{section}/{name}"] = tensor.to_type(ScalarType.Float32).data<float>().ToArray();
        }
        return state;
    }

    // The numbers: 50 + 50 iterations against 100, every trainable tensor, the estimator and both optimisers'
    // moments (and step counts) within 1e-5. One image per batch keeps the 200 iterations affordable (micro's global
    // experts see a 392-px view whatever the crop, so image size does not help); exact resume does not depend on it.
    [Fact]
    public void ResumingAfterAnInterruptionGivesTheSameWeightsAsAnUninterruptedRun()
    {
        var config = Config(100) with { BatchSize = 1 };
        var straight = new RunDirectory(fixture.NewRunFolder());
        AnomalyMoETrainer.Train(straight, config, new TrainingSettings(DeviceChoice.Cpu));

        var split = new RunDirectory(fixture.NewRunFolder());
        var first = AnomalyMoETrainer.Train(split, config, new TrainingSettings(DeviceChoice.Cpu, StopAfter: 50));
        Assert.Equal(50, first.CompletedIterations);
        var second = AnomalyMoETrainer.Train(split, config, new TrainingSettings(DeviceChoice.Cpu, Resume: true));
        Assert.Equal((50, 100), (second.StartIteration, second.CompletedIterations));

        var a = State(straight);
        var b = State(split);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var section in new[] { "model/", "estimator/", "optimizer/", "estimator_optimizer/" })
            Assert.Contains(a.Keys, k => k.StartsWith(section, StringComparison.Ordinal));
        var (worst, where) = a.Select(kv => (kv.Value.Zip(b[kv.Key], (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max(), kv.Key)).Max();
        Assert.True(worst <= 1e-5, $"largest difference {worst} in {where}");
        Assert.Equal(File.ReadAllText(straight.LossLogPath), File.ReadAllText(split.LossLogPath));
    }

    [Fact]
    public void ABFloat16EncoderTrainsWithFiniteLossesAndEvaluatesWithFiniteScores()
    {
        var run = new RunDirectory(fixture.NewRunFolder());
        var result = AnomalyMoETrainer.Train(run, Config(2), new TrainingSettings(DeviceChoice.Cpu, Precision: EncoderPrecision.BFloat16));
        Assert.Equal(2, result.CompletedIterations);
        var losses = LossLog.Read(run.LossLogPath);
        foreach (var component in AnomalyMoETrainer.LossComponents)
        {
            Assert.Equal(2, losses[component].Count);
            Assert.All(losses[component], v => Assert.True(double.IsFinite(v), $"{component} = {v}"));
        }
        Assert.All(losses["total"], v => Assert.True(v > 0));
        using (var checkpoint = TrainingCheckpoint.Load(run.LastCheckpointPath))
            Assert.All(checkpoint.Section("model").Values, t => Assert.Equal(ScalarType.Float32, t.dtype));

        var category = MvtecDatasetReader.Read(Config(2).Sources()).Categories[0];
        var test = category.Test.ToList();
        using var detector = Detectors.Open(run, [category], DeviceChoice.Cpu, precision: EncoderPrecision.BFloat16);
        using var predictions = detector.Predict(test);
        Assert.Equal(test.Count, predictions.Scores.Length);
        Assert.All(predictions.Scores, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(ScalarType.Float32, predictions.Maps.dtype);
        Assert.True(predictions.Maps.isfinite().all().item<bool>());
    }

    [Fact]
    public void CancellationWritesACheckpointThatResumeCompletes()
    {
        var run = new RunDirectory(fixture.NewRunFolder());
        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress(u => { if (u.Task == "train" && u.Done >= 3) cancel.Cancel(); });
        var interrupted = AnomalyMoETrainer.Train(run, Config(8), new TrainingSettings(DeviceChoice.Cpu), progress, cancel.Token);
        Assert.True(interrupted.Interrupted);
        Assert.Equal(3, interrupted.CompletedIterations);
        using (var checkpoint = TrainingCheckpoint.Load(run.LastCheckpointPath)) Assert.Equal(3, checkpoint.Iteration);
        var resumed = AnomalyMoETrainer.Train(run, Config(8), new TrainingSettings(DeviceChoice.Cpu, Resume: true));
        Assert.Equal((3, 8, false), (resumed.StartIteration, resumed.CompletedIterations, resumed.Interrupted));
        var log = File.ReadAllLines(run.LossLogPath);
        Assert.Equal(9, log.Length);
        Assert.StartsWith("iteration,lr,total,", log[0]);
    }

    [Fact]
    public void CheckpointsLeaveNoTemporaryFilesAndRunFolderHoldsConfigAndLosses()
    {
        var run = new RunDirectory(fixture.NewRunFolder());
        AnomalyMoETrainer.Train(run, Config(4), new TrainingSettings(DeviceChoice.Cpu, CheckpointEvery: 2));
        Assert.True(File.Exists(run.ConfigPath));
        Assert.Equal(["last.ckpt", "previous.ckpt"], Directory.GetFiles(run.CheckpointDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("micro", run.ReadConfig().Preset);
        Assert.Equal(5, File.ReadAllLines(run.LossLogPath).Length);
    }

    // Four training images, batch 2, six iterations: the last four iterations are served from the feature cache.
    [Fact]
    public void TheFeatureCacheLeavesTrainingUnchanged()
    {
        var config = Config(6);
        var cached = new RunDirectory(fixture.NewRunFolder());
        AnomalyMoETrainer.Train(cached, config, new TrainingSettings(DeviceChoice.Cpu));
        var encoded = new RunDirectory(fixture.NewRunFolder());
        AnomalyMoETrainer.Train(encoded, config, new TrainingSettings(DeviceChoice.Cpu, FeatureCacheMiB: 0));

        var a = State(cached);
        var b = State(encoded);
        var (worst, where) = a.Select(kv => (kv.Value.Zip(b[kv.Key], (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max(), kv.Key)).Max();
        Assert.True(worst <= 1e-5, $"largest difference {worst} in {where}");
    }

    // Sparse execution at one image per batch and per-level top-1: one expert of each level runs, so EIR has no pair to
    // repel and the estimators nothing to learn; the iteration still trains the experts that ran.
    [Fact]
    public void ASparseRunWithOneExpertPerLevelTrainsAndSkipsTheEstimatorStep()
    {
        var run = new RunDirectory(fixture.NewRunFolder());
        var config = Config(2) with { BatchSize = 1, Execution = ExpertExecution.Sparse };
        Assert.Equal((RoutingScope.PerLevel, 1), (config.ResolvePreset().Model.Router.Scope, config.ResolvePreset().Model.Router.TopK));
        var result = AnomalyMoETrainer.Train(run, config, new TrainingSettings(DeviceChoice.Cpu));
        Assert.Equal(2, result.CompletedIterations);
        var losses = LossLog.Read(run.LossLogPath);
        foreach (var level in new[] { "patch", "global", "component" })
            Assert.All(losses[level], v => Assert.True(double.IsFinite(v) && v > 0, $"{level} loss {v}"));
        // No estimator step: its term is empty in losses.csv (read back as NaN).
        Assert.All(losses["estimator"], v => Assert.True(double.IsNaN(v)));
    }

    // One image per batch and per-level top-1: each level runs two experts and the image selects one of them. Under
    // `hold` the other keeps no optimiser state (it was never stepped); under `step` (the reference) every expert has.
    [Theory]
    [InlineData(UnselectedExpertUpdate.Hold, 1)]
    [InlineData(UnselectedExpertUpdate.Step, 2)]
    public void UnselectedExpertsAreSteppedOnlyUnderTheStepRule(UnselectedExpertUpdate rule, int steppedPerLevel)
    {
        var run = new RunDirectory(fixture.NewRunFolder());
        var config = Config(1) with { BatchSize = 1, UnselectedExperts = rule };
        AnomalyMoETrainer.Train(run, config, new TrainingSettings(DeviceChoice.Cpu));
        using var checkpoint = TrainingCheckpoint.Load(run.LastCheckpointPath);
        var steps = checkpoint.Section("optimizer").Keys.Where(k => k.EndsWith(".step", StringComparison.Ordinal)).ToList();
        foreach (var level in new[] { "patch_experts", "global_experts", "component_experts" })
        {
            var stepped = Enumerable.Range(0, 2).Count(e => steps.Any(k => k.StartsWith($"{level}.{e}.", StringComparison.Ordinal)));
            Assert.True(stepped == steppedPerLevel, $"{level}: {stepped} experts stepped");
        }
    }

    [Fact]
    public void ResumingFromADamagedLastCheckpointNamesItAndThePreviousOneWhichResumes()
    {
        var run = new RunDirectory(fixture.NewRunFolder());
        AnomalyMoETrainer.Train(run, Config(4), new TrainingSettings(DeviceChoice.Cpu, CheckpointEvery: 2, StopAfter: 3));
        File.WriteAllBytes(run.LastCheckpointPath, [0x50, 0x4b, 0x03]);
        var e = Assert.Throws<AnomalyMoEException>(() => AnomalyMoETrainer.Train(run, Config(4), new TrainingSettings(DeviceChoice.Cpu, Resume: true)));
        Assert.Contains(run.LastCheckpointPath, e.Message);
        Assert.Contains(run.PreviousCheckpointPath, e.Message);
        File.Move(run.PreviousCheckpointPath, run.LastCheckpointPath, overwrite: true);
        var resumed = AnomalyMoETrainer.Train(run, Config(4), new TrainingSettings(DeviceChoice.Cpu, Resume: true));
        Assert.Equal(2, resumed.StartIteration);
        Assert.Equal(4, resumed.CompletedIterations);
    }

    [Fact]
    public void ResumingWithADifferentPresetIsRefused()
    {
        var run = new RunDirectory(fixture.NewRunFolder());
        AnomalyMoETrainer.Train(run, Config(2), new TrainingSettings(DeviceChoice.Cpu));
        var other = Config(2) with { Levels = "pg" };
        var e = Assert.Throws<AnomalyMoEException>(() => AnomalyMoETrainer.Train(run, other, new TrainingSettings(DeviceChoice.Cpu, Resume: true)));
        Assert.Contains("--resume", e.Message);
    }

    sealed class SynchronousProgress(Action<ProgressUpdate> action) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value) => action(value);
    }
}
