using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Training;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Training;

public class TrainingCheckpointTests
{
    [Fact]
    public void Sections_texts_and_iteration_round_trip()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("ckpt.pth");
        using (var checkpoint = new TrainingCheckpoint { Iteration = 42 })
        {
            checkpoint.Sections["model"] = new() { ["w"] = arange(4f) };
            checkpoint.Texts["config"] = "{\"preset\":\"cpu-tiny\"}";
            checkpoint.Save(path);
        }
        using var back = TrainingCheckpoint.Load(path);
        Assert.Equal(42, back.Iteration);
        Assert.True(back.Section("model")["w"].allclose(arange(4f)));
        Assert.Equal("{\"preset\":\"cpu-tiny\"}", back.Texts["config"]);
    }

    [Fact]
    public void An_empty_section_survives_the_round_trip()
    {
        // A run without EIR never steps the estimator's optimiser, so its state is empty; resuming still asks for it.
        using var dir = new TempDirectory();
        var path = dir.Combine("ckpt.pth");
        using (var checkpoint = new TrainingCheckpoint { Iteration = 3 })
        {
            checkpoint.Sections["model"] = new() { ["w"] = ones(2) };
            checkpoint.Sections["estimator_optimizer"] = new();
            checkpoint.Save(path);
        }
        using var back = TrainingCheckpoint.Load(path);
        Assert.Empty(back.Section("estimator_optimizer"));
        Assert.Single(back.Section("model"));
        Assert.DoesNotContain("sections", back.Texts.Keys);
    }

    [Fact]
    public void A_failed_save_leaves_the_previous_checkpoint_intact()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("ckpt.pth");
        using (var good = new TrainingCheckpoint { Iteration = 1 })
        {
            good.Sections["model"] = new() { ["w"] = ones(2) };
            good.Save(path);
        }
        using (var bad = new TrainingCheckpoint { Iteration = 2 })
        {
            bad.Sections["bad/name"] = new() { ["w"] = zeros(2) };
            Assert.Throws<ArgumentException>(() => bad.Save(path));
        }
        using var back = TrainingCheckpoint.Load(path);
        Assert.Equal(1, back.Iteration);
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_plain_state_dict_is_not_mistaken_for_a_training_checkpoint()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("weights.pth");
        AnomalyMoE.Parity.TorchFile.SaveTensors(new Dictionary<string, Tensor> { ["w"] = ones(1) }, path);
        var e = Assert.Throws<AnomalyMoEException>(() => TrainingCheckpoint.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Missing_section_is_named()
    {
        using var checkpoint = new TrainingCheckpoint();
        var e = Assert.Throws<AnomalyMoEException>(() => checkpoint.Section("optimizer"));
        Assert.Contains("optimizer", e.Message);
    }
}
