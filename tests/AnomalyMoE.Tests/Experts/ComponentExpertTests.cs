using AnomalyMoE.Experts;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Experts;

public class ComponentExpertTests(ITestOutputHelper output)
{
    static Tensor FixtureComponentFeatures()
    {
        var e = Seed0Tensors.Expected;
        var taps = Enumerable.Range(2, 8).Select(i => e[$"out.encoder.block{i}"]).ToArray();
        using var map = ComponentFeatures.MeanTokenMap(taps, prefixTokens: 5, gridH: 28, gridW: 28);
        var batch = ComponentFeatures.Extract(map, [e["input.masks0"], e["input.masks1"]]);
        Assert.Equal(new[] { 3, 2 }, batch.Counts);
        return batch.Features;
    }

    [Fact]
    public void State_dict_keys_match_the_reference_layer_indices()
    {
        using var expert = new ComponentExpert(ComponentExpertOptions.ForWidth(64));
        var ours = expert.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal);
        var reference = Seed0Tensors.ModelSubtree("component_experts.0.").Keys.OrderBy(k => k, StringComparer.Ordinal);
        Assert.Equal(reference, ours);
    }

    [Fact]
    public void Component_features_reproduce_the_reference()
    {
        using var _ = no_grad();
        using var features = FixtureComponentFeatures();
        var error = Seed0Tensors.MaxAbsError(features, Seed0Tensors.Expected["out.component_orig"]);
        output.WriteLine($"component_orig max abs {error:E2}");
        Assert.True(error <= 1e-4);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Reconstruction_reproduces_the_reference(int index)
    {
        using var expert = new ComponentExpert(ComponentExpertOptions.ForWidth(64));
        expert.load_state_dict(Seed0Tensors.ModelSubtree($"component_experts.{index}."), strict: true);
        expert.eval();
        using var _ = no_grad();
        using var recon = expert.forward(Seed0Tensors.Expected["out.component_orig"]);
        var error = Seed0Tensors.MaxAbsError(recon, Seed0Tensors.Expected[$"out.component{index}.recon"]);
        output.WriteLine($"component{index}.recon max abs {error:E2}");
        Assert.True(error <= 1e-4);
    }

    [Fact]
    public void Dropout_is_active_only_in_training_mode()
    {
        using var expert = new ComponentExpert(ComponentExpertOptions.ForWidth(16) with { Dropout = 0.5 });
        using var x = randn(64, 16);
        expert.eval();
        using var a = expert.forward(x);
        using var b = expert.forward(x);
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
        expert.train();
        using var c = expert.forward(x);
        Assert.False(a.allclose(c));
    }

    [Fact]
    public void Loss_is_one_minus_cosine_per_component()
    {
        using var recon = tensor(new float[] { 1, 0, 0, 1 }, [2, 2]);
        using var feats = tensor(new float[] { 1, 0, 1, 0 }, [2, 2]);
        using var loss = ComponentExpert.PerComponentLoss(recon, feats);
        Assert.Equal(new[] { 0f, 1f }, loss.data<float>().ToArray());
    }

    [Fact]
    public void Feature_is_the_mean_under_the_dilated_grid_mask()
    {
        // A 1-channel 8×8 map holding its column index, a mask covering column 0 only (image 16×16, grid 8×8),
        // dilation 3 widens it to columns 0–1: mean = 0.5.
        using var map = arange(8, dtype: float32).repeat(8, 1).view(1, 1, 8, 8);
        using var mask = zeros(1, 16, 16, dtype: uint8);
        mask[0, .., 0..2] = tensor((byte)1);
        using var batch = ComponentFeatures.Extract(map, [mask], dilation: 3);
        Assert.Equal(0.5f, batch.Features[0, 0].item<float>(), 5);
    }

    [Fact]
    public void Images_without_components_get_no_rows_and_a_zero_map()
    {
        using var map = randn(2, 4, 4, 4);
        using var none = zeros(0, 8, 8, dtype: uint8);
        using var one = ones(1, 8, 8, dtype: uint8);
        using var batch = ComponentFeatures.Extract(map, [none, one]);
        Assert.Equal(new[] { 0, 1 }, batch.Counts);
        Assert.Equal(new long[] { 1, 4 }, batch.Features.shape);
        using var scores = tensor(new float[] { 0.7f });
        using var painted = ComponentFeatures.AnomalyMap(scores, [none, one], batch.Counts, 8, 8);
        Assert.Equal(0f, painted[0].max().item<float>());
        Assert.Equal(0.7f, painted[1].min().item<float>(), 6);
    }

    [Fact]
    public void Anomaly_map_takes_the_largest_score_where_masks_overlap()
    {
        using var masks = zeros(2, 4, 4, dtype: uint8);
        masks[0, 0..2] = tensor((byte)1);
        masks[1, 1..4] = tensor((byte)1);
        using var scores = tensor(new float[] { 0.2f, 0.9f });
        using var painted = ComponentFeatures.AnomalyMap(scores, [masks], [2], 4, 4);
        Assert.Equal(new[] { 0.2f, 0.9f, 0.9f, 0.9f }, painted[0, 0, .., 0].data<float>().ToArray());
    }
}
