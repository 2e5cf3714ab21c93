using AnomalyMoE.Data;
using AnomalyMoE.Engine;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;
using AnomalyMoE.Synthetic;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Training;

namespace AnomalyMoE.Tests.Training;

[Collection(EngineCollection.Name)]
public class LearningTests
{
    const string Category = "board";
    const int Seed = 0;
    const int TrainingIterations = 120;

    // The model after its first iteration stands for the untrained one: the warm-up's learning rate is still near 0.
    const int UntrainedIterations = 1;

    /// <summary>Image AUROC of cpu-tiny (all three levels) on the category's test set after that many iterations.</summary>
    static double ImageAuroc(TempDirectory directory, DataRoot root, int iterations)
    {
        var run = new RunDirectory(directory.Combine($"run-{iterations}"));
        var config = new TrainingRunConfig { Preset = TrainingPresets.CpuTiny.Name, Data = [root], Iterations = iterations, Seed = Seed };
        AnomalyMoETrainer.Train(run, config, new TrainingSettings(DeviceChoice.Cpu));
        var category = MvtecDatasetReader.Read(config.Sources()).Categories.Single();
        using var detector = Detectors.Open(run, [category], DeviceChoice.Cpu);
        var test = category.Test.ToList();
        using var predictions = detector.Predict(test);
        return BinaryMetrics.Compute(predictions.Scores, test.Select(r => (byte)r.Label).ToArray()).Auroc;
    }

    [Fact]
    public void Training_cpu_tiny_lifts_image_auroc_above_0_8_and_above_the_untrained_model()
    {
        using var directory = new TempDirectory();
        var synth = new SynthOptions(["industrial"], Seed: Seed, Size: 128, TrainPerCategory: 16, TestPerCategory: 40);
        SyntheticBenchmark.Generate(synth, directory.Combine("data"));
        var root = new DataRoot(directory.Combine("data", "industrial"), [Category]);

        var untrained = ImageAuroc(directory, root, UntrainedIterations);
        var trained = ImageAuroc(directory, root, TrainingIterations);

        Assert.True(trained > 0.8, $"image AUROC after {TrainingIterations} iterations: {trained:F3}");
        Assert.True(trained > untrained, $"image AUROC after {TrainingIterations} iterations {trained:F3}, untrained {untrained:F3}");
    }
}
