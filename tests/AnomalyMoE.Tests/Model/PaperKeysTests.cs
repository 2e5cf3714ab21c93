using AnomalyMoE.Model;
using AnomalyMoE.Parity;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Model;

/// <summary>
/// The paper configuration (DINOv2-reg ViT-B/14, 6 + 6 + 6 experts, 539 M parameters) against the official checkpoint's
/// 1,092 keys. One test class, run sequentially, because each model takes about 2.2 GB.
/// </summary>
public class PaperKeysTests
{
    [Fact]
    public void Paper_model_state_dict_has_exactly_the_official_keys_shapes_and_parameter_count()
    {
        var reference = CheckpointKeys.Read(SharedFixtures.PaperKeys);
        Assert.Equal(1092, reference.Count);
        using var model = AnomalyMoEModel.CreateRandom(AnomalyMoEOptions.Paper, seed: 1);
        var state = model.state_dict();
        Assert.Empty(CheckpointKeys.Differences(state, reference));
        Assert.Equal(539_038_162L, reference.Sum(k => k.Elements));
        Assert.Equal(539_038_162L, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void A_zero_filled_checkpoint_with_the_official_keys_loads_strictly_into_the_paper_model()
    {
        var reference = CheckpointKeys.Read(SharedFixtures.PaperKeys);
        using var temp = new TempDirectory();
        var path = temp.Combine("paper_zeros.pth");
        {
            var zerosDict = reference.ToDictionary(k => k.Name, k => zeros(k.Shape));
            TorchFile.SaveTensors(zerosDict, path);
            foreach (var t in zerosDict.Values) t.Dispose();
        }
        using var model = AnomalyMoEModel.Load(path, AnomalyMoEOptions.Paper);
        var state = model.state_dict();
        foreach (var name in new[] { "encoder.blocks.11.ls2.gamma", "patch_experts.5.decoder.7.mlp.fc2.bias", "global_experts.5.student.12.weight",
                     "component_experts.5.decoder.7.weight", "gating_network.gate.2.bias" })
        {
            Assert.Equal(0f, state[name].abs().max().item<float>());
        }
    }
}
