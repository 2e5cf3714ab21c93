using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Encoders;

public sealed class EncoderFeatureCacheTests
{
    static ImageRecord Record(string name) => new($"/data/cat/train/good/{name}.png", "data", "cat", DatasetSplit.Train, "good", null);

    static Tensor Images(params int[] seeds) => cat(seeds.Select(s => randn([1, 3, 28, 28], generator: new Generator((ulong)s))).ToArray(), 0);

    [Fact]
    public void A_batch_of_held_images_is_served_without_the_encoder_and_equals_encoding_again()
    {
        var encoder = new CountingEncoder();
        using var cache = new EncoderFeatureCache(encoder, [0, 1], budgetBytes: 1 << 20);
        using (var first = cache.Encode([Record("a"), Record("b")], Images(1, 2))) { }
        using (var second = cache.Encode([Record("c"), Record("d")], Images(3, 4))) { }
        Assert.Equal(2, encoder.Calls);

        // A new batch composition of held images: assembled, in the batch's order.
        using var images = Images(4, 1);
        using var cached = cache.Encode([Record("d"), Record("a")], images);
        Assert.Equal(2, encoder.Calls);
        Assert.Equal(1, cache.Hits);
        using var fresh = encoder.Encode(images, [0, 1]);
        Assert.Equal((fresh.GridH, fresh.GridW), (cached.GridH, cached.GridW));
        for (int l = 0; l < 2; l++) Assert.True(fresh.Layers[l].allclose(cached.Layers[l], rtol: 0, atol: 1e-6), $"layer {l}");
        Assert.True(fresh.GlobalToken.allclose(cached.GlobalToken, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void A_batch_with_an_image_not_held_runs_the_encoder_and_adds_that_image()
    {
        var encoder = new CountingEncoder();
        using var cache = new EncoderFeatureCache(encoder, [0], budgetBytes: 1 << 20);
        using (var first = cache.Encode([Record("a")], Images(1))) { }
        using (var mixed = cache.Encode([Record("a"), Record("b")], Images(1, 2))) { }
        Assert.Equal(2, encoder.Calls);
        Assert.Equal(2, cache.Count);
        using (var held = cache.Encode([Record("b"), Record("a")], Images(2, 1))) { }
        Assert.Equal(2, encoder.Calls);
    }

    [Fact]
    public void Images_beyond_the_budget_are_encoded_every_time()
    {
        var encoder = new CountingEncoder();
        // One image: one layer of (1 + 4) tokens × 4 floats + a global token of 3 floats = 92 bytes. Room for two.
        using var cache = new EncoderFeatureCache(encoder, [0], budgetBytes: 200);
        using (var first = cache.Encode([Record("a"), Record("b"), Record("c")], Images(1, 2, 3))) { }
        Assert.Equal(2, cache.Count);
        Assert.Equal(184, cache.UsedBytes);
        using (var again = cache.Encode([Record("a"), Record("c")], Images(1, 3))) { }
        Assert.Equal(2, encoder.Calls);
        using (var held = cache.Encode([Record("b"), Record("a")], Images(2, 1))) { }
        Assert.Equal(2, encoder.Calls);
    }

    [Fact]
    public void A_zero_budget_turns_caching_off()
    {
        var encoder = new CountingEncoder();
        using var cache = new EncoderFeatureCache(encoder, [0], budgetBytes: 0);
        for (int i = 0; i < 3; i++)
            using (var output = cache.Encode([Record("a")], Images(1))) { }
        Assert.Equal(3, encoder.Calls);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void A_negative_budget_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new EncoderFeatureCache(new CountingEncoder(), [0], -1));
        Assert.Contains("budget", e.Message);
    }
}
