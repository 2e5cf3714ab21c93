using AnomalyMoE.Encoders.Dinov2;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Encoders.Dinov2;

public sealed class Dinov2EncoderTests
{
    static Tensor Images(long batch, long height, long width)
    {
        var generator = new torch.Generator(7);
        return torch.randn([batch, 3, height, width], generator: generator);
    }

    [Fact]
    public void Encode_returns_the_requested_layers_in_request_order_with_cls_registers_and_patches()
    {
        using var encoder = Dinov2Encoder.CreateRandom(Dinov2Options.Tiny, seed: 1);
        using var images = Images(2, 42, 56);
        using var output = encoder.Encode(images, [7, 2, 7]);

        Assert.Equal((3, 4), (output.GridH, output.GridW));
        Assert.Equal(3, output.Layers.Count);
        foreach (var map in output.Layers) Assert.Equal(new long[] { 2, 1 + 4 + 12, 64 }, map.shape);
        Assert.Equal(new long[] { 2, 64 }, output.GlobalToken.shape);
        Assert.True(output.Layers[0].allclose(output.Layers[2], rtol: 0, atol: 0));
        Assert.False(output.Layers[0].allclose(output.Layers[1], rtol: 0, atol: 0));
        Assert.Equal(5, encoder.Info.PrefixTokens);
    }

    [Fact]
    public void Encoder_is_frozen_and_builds_no_autograd_graph()
    {
        using var encoder = Dinov2Encoder.CreateRandom(Dinov2Options.Tiny, seed: 2);
        Assert.All(encoder.Model.parameters(), p => Assert.False(p.requires_grad));
        Assert.False(encoder.Model.training);
        using var images = Images(1, 28, 28);
        images.requires_grad_(true);
        using var output = encoder.Encode(images, [0]);
        Assert.False(output.Layers[0].requires_grad);
        Assert.False(output.GlobalToken.requires_grad);
    }

    [Fact]
    public void Layer_outside_the_blocks_is_rejected_with_the_valid_range()
    {
        using var encoder = Dinov2Encoder.CreateRandom(Dinov2Options.Tiny, seed: 3);
        using var images = Images(1, 28, 28);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode(images, [10]));
        Assert.Contains("0..9", e.Message);
    }

    [Fact]
    public void Image_side_not_a_multiple_of_the_patch_size_is_rejected()
    {
        using var encoder = Dinov2Encoder.CreateRandom(Dinov2Options.Tiny, seed: 4);
        using var images = Images(1, 30, 28);
        var e = Assert.Throws<ArgumentException>(() => encoder.Encode(images, [0]));
        Assert.Contains("30", e.Message);
    }

    [Fact]
    public void At_518_pixels_the_positional_embedding_is_used_as_learned()
    {
        using var model = new DinoVisionTransformer(Dinov2Options.Tiny);
        using var atNative = model.InterpolatedPositionEmbedding(518, 518);
        Assert.True(atNative.allclose(model.state_dict()["pos_embed"], rtol: 0, atol: 0));
    }

    [Fact]
    public void A_hundred_forward_passes_leave_no_tensor_alive()
    {
        using var encoder = Dinov2Encoder.CreateRandom(Dinov2Options.Tiny, seed: 5);
        using var images = Images(1, 42, 42);
        using (encoder.Encode(images, [2, 9])) { }
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 100; i++)
        {
            using var output = encoder.Encode(images, [2, 5, 9]);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
