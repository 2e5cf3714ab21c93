using AnomalyMoE.Routing;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Routing;

public class TopKRouterTests
{
    [Fact]
    public void Reproduces_the_reference_logits_weights_and_mask()
    {
        using var router = new TopKRouter(64, 6, new RouterOptions(256, 3));
        var (missing, unexpected) = router.load_state_dict(Seed0Tensors.ModelSubtree("gating_network."), strict: true);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        router.eval();
        using var _ = no_grad();
        using var cls = Seed0Tensors.Expected["out.encoder.block9"][.., 0].clone();
        using var decision = router.forward(cls);
        Assert.True(Seed0Tensors.MaxAbsError(decision.RawLogits, Seed0Tensors.Expected["out.raw_logits"]) <= 1e-4);
        Assert.True(Seed0Tensors.MaxAbsError(decision.Weights, Seed0Tensors.Expected["out.routing_weights"]) <= 1e-4);
        Assert.Equal(0, Seed0Tensors.MaxAbsError(decision.Mask, Seed0Tensors.Expected["out.expert_mask"]));
    }

    [Fact]
    public void Weights_are_a_softmax_over_the_k_largest_logits_and_zero_elsewhere()
    {
        using var logits = tensor(new float[] { 1f, 3f, 2f, 0f, 1f, 5f, 4f, 0f }, [2, 4]);
        using var d = TopKRouter.Select(logits, 2);
        var w = d.Weights.data<float>().ToArray();
        var e1 = Math.Exp(3) / (Math.Exp(3) + Math.Exp(2));
        Assert.Equal(0f, w[0]);
        Assert.Equal(e1, w[1], 5);
        Assert.Equal(1 - e1, w[2], 5);
        Assert.Equal(0f, w[3]);
        Assert.Equal(new float[] { 0, 1, 1, 0, 0, 1, 1, 0 }, d.Mask.data<float>().ToArray());
        Assert.True(d.AnySelected(1));
        Assert.False(d.AnySelected(3));
    }

    [Fact]
    public void Top_k_larger_than_the_expert_count_is_rejected_with_the_value()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TopKRouter(8, 3, new RouterOptions(16, 4)));
        Assert.Contains("TopK", e.Message);
    }

    [Fact]
    public void Gradients_reach_the_router_only_through_selected_experts()
    {
        using var logits = tensor(new float[] { 1f, 3f, 2f, 0f }, [1, 4], requires_grad: true);
        using var d = TopKRouter.Select(logits, 2);
        using var target = tensor(new float[] { 1f, 1f, 1f, 1f }, [1, 4]);
        using var loss = (d.Weights * arange(4).to_type(ScalarType.Float32)).sum();
        loss.backward();
        var g = logits.grad!.data<float>().ToArray();
        Assert.Equal(0f, g[0]);
        Assert.Equal(0f, g[3]);
        Assert.NotEqual(0f, g[1]);
    }

    [Fact]
    public void Per_level_routing_keeps_the_k_largest_logits_of_every_level_with_a_softmax_per_level()
    {
        // Two images, levels of 2 + 3 + 1 experts; image 0's largest logits all lie in the second level.
        using var logits = tensor(new float[] { 0f, 1f, 9f, 8f, 7f, -1f, 2f, 1f, 0f, 5f, 4f, 3f }, [2, 6]);
        using var d = TopKRouter.SelectPerLevel(logits, 1, [2, 3, 1]);
        Assert.Equal(new float[] { 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1 }, d.Mask.data<float>().ToArray());
        Assert.Equal(d.Mask.data<float>().ToArray(), d.Weights.data<float>().ToArray());
    }

    [Fact]
    public void Per_level_weights_sum_to_one_in_each_level()
    {
        using var logits = tensor(new float[] { 0.5f, 1f, 3f, 2f, 0f, 1f }, [1, 6]);
        using var d = TopKRouter.SelectPerLevel(logits, 2, [3, 3]);
        var w = d.Weights.data<float>().ToArray();
        Assert.Equal(1.0, w[0] + w[1] + w[2], 5);
        Assert.Equal(1.0, w[3] + w[4] + w[5], 5);
        Assert.Equal(0f, w[0]);
        Assert.Equal(0f, w[4]);
        Assert.Equal(Math.Exp(3) / (Math.Exp(3) + Math.Exp(1)), w[2], 5);
    }

    [Fact]
    public void Per_level_routing_skips_empty_levels()
    {
        using var logits = tensor(new float[] { 1f, 2f, 4f, 3f }, [1, 4]);
        using var d = TopKRouter.SelectPerLevel(logits, 1, [2, 0, 2]);
        Assert.Equal(new float[] { 0, 1, 1, 0 }, d.Mask.data<float>().ToArray());
    }

    [Fact]
    public void The_router_uses_its_scope_in_forward()
    {
        using var router = new TopKRouter(8, 6, new RouterOptions(16, 1, RoutingScope.PerLevel), [2, 2, 2]);
        using var x = randn(5, 8);
        using var d = router.forward(x);
        using var perLevel = d.Mask.view(5, 3, 2).sum([2]);
        Assert.True(perLevel.eq(1).all().item<bool>());
    }

    [Fact]
    public void Per_level_top_k_larger_than_the_smallest_level_is_rejected_with_the_value()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TopKRouter(8, 5, new RouterOptions(16, 2, RoutingScope.PerLevel), [4, 1, 0]));
        Assert.Contains("smallest level", e.Message);
    }
}
