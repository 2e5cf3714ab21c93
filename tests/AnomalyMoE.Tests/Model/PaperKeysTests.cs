using AnomalyMoE.Model;
using AnomalyMoE.Parity;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Model;

/// <summary>
/// A zero-filled checkpoint with the official paper-configuration keys (paper_keys.json), saved via PyBridge and loaded
/// strictly into the paper model, built once for the class (about 2.2 GB each for the file's tensors and the model).
/// </summary>
public sealed class PaperCheckpointFixture : IDisposable
{
    readonly TempDirectory temp = new();

    public IReadOnlyList<CheckpointKey> Reference { get; } = CheckpointKeys.Read(SharedFixtures.PaperKeys);
    public AnomalyMoEModel Model { get; }

    public PaperCheckpointFixture()
    {
        var path = temp.Combine("paper_zeros.pth");
        var zerosDict = Reference.ToDictionary(k => k.Name, k => zeros(k.Shape));
        TorchFile.SaveTensors(zerosDict, path);
        foreach (var t in zerosDict.Values) t.Dispose();
        Model = AnomalyMoEModel.Load(path, AnomalyMoEOptions.Paper);
        File.Delete(path);
    }

    public void Dispose()
    {
        Model.Dispose();
        temp.Dispose();
    }
}

public class PaperKeysTests(PaperCheckpointFixture fixture) : IClassFixture<PaperCheckpointFixture>
{
    [Fact]
    public void Paper_model_state_dict_has_exactly_the_official_keys_shapes_and_parameter_count()
    {
        Assert.Equal(1092, fixture.Reference.Count);
        Assert.Empty(CheckpointKeys.Differences(fixture.Model.state_dict(), fixture.Reference));
        Assert.Equal(539_038_162L, fixture.Reference.Sum(k => k.Elements));
        Assert.Equal(539_038_162L, fixture.Model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void The_zero_filled_official_checkpoint_loads_into_every_part_of_the_paper_model()
    {
        var state = fixture.Model.state_dict();
        foreach (var name in new[] { "encoder.blocks.11.ls2.gamma", "patch_experts.5.decoder.7.mlp.fc2.bias", "global_experts.5.student.12.weight",
                     "component_experts.5.decoder.7.weight", "gating_network.gate.2.bias" })
        {
            Assert.Equal(0f, state[name].abs().max().item<float>());
        }
    }

    [Fact]
    public void The_encoder_part_is_frozen_and_the_experts_are_trainable()
    {
        Assert.All(fixture.Model.named_parameters().Where(p => p.name.StartsWith("encoder.", StringComparison.Ordinal)), p => Assert.False(p.parameter.requires_grad));
        var trainable = fixture.Model.TrainableParameters().Sum(p => p.numel());
        Assert.Equal(539_038_162L - 86_583_552L, trainable);
    }
}
