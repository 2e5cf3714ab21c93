using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Training;

namespace AnomalyMoE.Tests.Training;

public class RunDirectoryTests
{
    static void Save(RunDirectory run, int iteration)
    {
        using var checkpoint = new TrainingCheckpoint { Iteration = iteration };
        checkpoint.Texts["config"] = $"iteration {iteration}";
        run.SaveCheckpoint(checkpoint);
    }

    static int IterationOf(string path)
    {
        using var checkpoint = TrainingCheckpoint.Load(path);
        return checkpoint.Iteration;
    }

    [Fact]
    public void EachSaveKeepsTheCheckpointItReplacesAsPrevious()
    {
        TorchRuntime.EnsureLoaded();
        using var dir = new TempDirectory();
        var run = new RunDirectory(dir.Path).Create();
        Save(run, 1);
        Assert.False(File.Exists(run.PreviousCheckpointPath));
        Save(run, 2);
        Save(run, 3);
        Assert.Equal(3, IterationOf(run.LastCheckpointPath));
        Assert.Equal(2, IterationOf(run.PreviousCheckpointPath));
        Assert.Equal(["last.ckpt", "previous.ckpt"], Directory.GetFiles(run.CheckpointDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ADamagedLastCheckpointIsNamedAndPreviousIsOffered()
    {
        TorchRuntime.EnsureLoaded();
        using var dir = new TempDirectory();
        var run = new RunDirectory(dir.Path).Create();
        Save(run, 1);
        Save(run, 2);
        File.WriteAllBytes(run.LastCheckpointPath, new byte[17]);
        var e = Assert.Throws<AnomalyMoEException>(() => run.LoadLastCheckpoint());
        Assert.Contains(run.LastCheckpointPath, e.Message);
        Assert.Contains(run.PreviousCheckpointPath, e.Message);
        Assert.Contains("--resume", e.Message);
    }

    [Fact]
    public void ADamagedLastCheckpointWithoutPreviousSaysNoneIsKept()
    {
        TorchRuntime.EnsureLoaded();
        using var dir = new TempDirectory();
        var run = new RunDirectory(dir.Path).Create();
        Save(run, 1);
        File.WriteAllText(run.LastCheckpointPath, "not a checkpoint");
        var e = Assert.Throws<AnomalyMoEException>(() => run.LoadLastCheckpoint());
        Assert.Contains(run.LastCheckpointPath, e.Message);
        Assert.Contains("previous.ckpt is missing", e.Message);
    }

    [Fact]
    public void ASaveCutOffBetweenItsRenamesIsCompletedOnLoad()
    {
        TorchRuntime.EnsureLoaded();
        using var dir = new TempDirectory();
        var run = new RunDirectory(dir.Path).Create();
        Save(run, 1);
        Save(run, 2);
        // The state a save leaves when it stops after moving last.ckpt aside: previous (2) and the complete new file (3).
        Save(new RunDirectory(dir.Combine("other")).Create(), 3);
        File.Move(run.LastCheckpointPath, run.PreviousCheckpointPath, overwrite: true);
        File.Move(dir.Combine("other", "checkpoints", "last.ckpt"), Path.Combine(run.CheckpointDirectory, "next.ckpt"));
        using var loaded = run.LoadLastCheckpoint();
        Assert.Equal(3, loaded.Iteration);
        Assert.Equal(2, IterationOf(run.PreviousCheckpointPath));
    }
}
