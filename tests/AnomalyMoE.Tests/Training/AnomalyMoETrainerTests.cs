using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Training;

[Collection(EngineCollection.Name)]
public class AnomalyMoETrainerTests(EngineFixture fixture)
{
    TrainingRunConfig Config(int iterations) => new() { Preset = "micro", Data = fixture.OneCategory, Iterations = iterations, Seed = 5 };

    static Dictionary<string, float[]> Weights(RunDirectory run)
    {
        using var checkpoint = TrainingCheckpoint.Load(run.LastCheckpointPath);
        return checkpoint.Section("model").ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float32).data<float>().ToArray());
    }

    // 10 + 10 against 20 iterations (the property is the same as 50 + 50 against 100, at a fifth of the CPU time).
    [Fact]
    public void ResumingAfterAnInterruptionGivesTheSameWeightsAsAnUninterruptedRun()
    {
        var straight = new RunDirectory(fixture.NewRunFolder());
        AnomalyMoETrainer.Train(straight, Config(20), new TrainingSettings(DeviceChoice.Cpu));

        var split = new RunDirectory(fixture.NewRunFolder());
        var first = AnomalyMoETrainer.Train(split, Config(20), new TrainingSettings(DeviceChoice.Cpu, StopAfter: 10));
        Assert.Equal(10, first.CompletedIterations);
        var second = AnomalyMoETrainer.Train(split, Config(20), new TrainingSettings(DeviceChoice.Cpu, Resume: true));
        Assert.Equal((10, 20), (second.StartIteration, second.CompletedIterations));

        var a = Weights(straight);
        var b = Weights(split);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        var worst = a.Max(kv => kv.Value.Zip(b[kv.Key], (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max());
        Assert.True(worst <= 1e-5, $"largest weight difference {worst}");
        Assert.Equal(File.ReadAllText(straight.LossLogPath), File.ReadAllText(split.LossLogPath));
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
        Assert.Equal(["last.ckpt"], Directory.GetFiles(run.CheckpointDirectory).Select(Path.GetFileName));
        Assert.Equal("micro", run.ReadConfig().Preset);
        Assert.Equal(5, File.ReadAllLines(run.LossLogPath).Length);
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
