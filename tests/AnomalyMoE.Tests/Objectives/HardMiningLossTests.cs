using AnomalyMoE.Experts;
using AnomalyMoE.Objectives;
using AnomalyMoE.Tests.Experts;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Objectives;

public class HardMiningLossTests
{
    static double RelativeError(Tensor actual, Tensor expected) => Seed0Tensors.RelativeError(actual, expected);

    [Fact]
    public void Per_image_loss_and_parameter_gradients_reproduce_the_reference()
    {
        using var expert = PatchExpertTests.LoadFixtureExpert(0);
        using var scope = NewDisposeScope();
        using var tokens = FixtureTokens.StudentView();
        var fused = TokenMaps.Mean(tokens.Layers);
        int[][] groups = [[0, 1, 2, 3], [4, 5, 6, 7]];
        var encoderMaps = groups.Select(g => TokenMaps.ToGrid(TokenMaps.Mean(g.Select(i => tokens.Layers[i]).ToArray()), 5, 28, 28)).ToArray();
        var raw = expert.ReconstructGroups(fused, FixtureTokens.PrefixTokens, FixtureTokens.Grid, FixtureTokens.Grid);
        var gates = raw.Select(_ => new GradientGate()).ToArray();
        var decoderMaps = raw.Select((m, g) => gates[g].Attach(m)).ToArray();

        var perImage = HardMiningLoss.PerImage(encoderMaps, decoderMaps, gates, HardMiningOptions.Paper);
        Assert.True(RelativeError(perImage, Seed0Tensors.Expected["hm.loss_per_sample"]) <= 1e-4);

        perImage.sum().backward();
        var parameters = expert.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var qkvError = RelativeError(parameters["decoder.0.attn.qkv.weight"].grad!, Seed0Tensors.Expected["hm.grad.patch0.decoder0.attn.qkv.weight"]);
        var fc1Error = RelativeError(parameters["bottleneck.0.fc1.weight"].grad!, Seed0Tensors.Expected["hm.grad.patch0.bottleneck0.fc1.weight"]);
        Assert.True(qkvError <= 1e-4, $"qkv gradient relative error {qkvError}");
        Assert.True(fc1Error <= 1e-4, $"fc1 gradient relative error {fc1Error}");
        foreach (var g in gates) g.Dispose();
    }

    [Fact]
    public void Easy_positions_get_the_factor_and_the_hardest_tenth_keeps_its_gradient()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var encoder = randn(1, 4, 10, 10);
        var decoderLeaf = randn(1, 4, 10, 10).requires_grad_();
        var gate = new GradientGate();
        var loss = HardMiningLoss.PerImage([encoder], [gate.Attach(decoderLeaf)], [gate], new HardMiningOptions(0.9, 0.1));
        loss.sum().backward();
        var plainLeaf = decoderLeaf.detach().clone().requires_grad_();
        HardMiningLoss.PerImage([encoder], [plainLeaf], null, HardMiningOptions.Paper).sum().backward();

        var ratio = (decoderLeaf.grad! / plainLeaf.grad!)[0, 0].flatten();
        var values = ratio.data<float>().ToArray();
        // k = int(100 · (1 − 0.9)) = 9 in floating point, as in the reference: the 9th largest distance is the threshold,
        // and positions strictly below it are easy, so the 9 hardest keep their gradient.
        Assert.Equal(9, values.Count(v => Math.Abs(v - 1f) < 1e-5));
        Assert.Equal(91, values.Count(v => Math.Abs(v - 0.1f) < 1e-5));
        gate.Dispose();
    }

    [Fact]
    public void The_gate_scales_the_gradient_of_every_consumer_of_the_decoder_map()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var encoder = randn(1, 3, 4, 4);
        var leaf = randn(1, 3, 4, 4).requires_grad_();
        var gate = new GradientGate();
        var map = gate.Attach(leaf);
        var otherConsumer = map.mean([2, 3]).sum();           // e.g. the EIR feature
        HardMiningLoss.PerImage([encoder], [map], [gate], new HardMiningOptions(0.5, 0.0));
        otherConsumer.backward();
        var grad = leaf.grad!.flatten().data<float>().ToArray();
        Assert.Equal(3 * 8, grad.Count(v => v == 0f));           // half the positions × 3 channels silenced
        Assert.Equal(3 * 8, grad.Count(v => Math.Abs(v - 1f / 16) < 1e-6));
        gate.Dispose();
    }

    [Fact]
    public void Reference_mask_source_gates_every_group_with_the_last_groups_mask()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var encoders = new[] { randn(1, 3, 4, 4), randn(1, 3, 4, 4) };
        Tensor[] ScalesOf(HardMiningMaskSource source)
        {
            var leaves = new[] { randn(1, 3, 4, 4, generator: new Generator(7)).requires_grad_(), randn(1, 3, 4, 4, generator: new Generator(8)).requires_grad_() };
            var gates = new[] { new GradientGate(), new GradientGate() };
            HardMiningLoss.PerImage(encoders, leaves.Select((l, i) => gates[i].Attach(l)).ToArray(), gates, new HardMiningOptions(0.5, 0.0, source)).sum().backward();
            var masks = gates.Select(g => g.Scale!.clone()).ToArray();
            foreach (var g in gates) g.Dispose();
            return masks;
        }
        var reference = ScalesOf(HardMiningMaskSource.LastGroup);
        var own = ScalesOf(HardMiningMaskSource.OwnGroup);
        Assert.True(reference[0].allclose(own[1]));
        Assert.True(reference[1].allclose(own[1]));
        Assert.False(own[0].allclose(own[1]));
    }

    [Fact]
    public void Options_reject_a_percentile_of_one()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new HardMiningOptions(1.0).Validate());
        Assert.Contains("Percentile", e.Message);
    }
}
