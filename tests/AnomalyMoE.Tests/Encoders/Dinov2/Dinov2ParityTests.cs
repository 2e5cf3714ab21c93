using AnomalyMoE.Encoders.Dinov2;
using AnomalyMoE.Parity;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Encoders.Dinov2;

/// <summary>
/// The tiny DINOv2 encoder of the official-parity fixture (seed0) against the reference implementation's
/// token maps: tokens entering block 0 and every block's output, 2×3×392×392 input (28×28 grid, so the
/// 37×37 positional embedding is interpolated).
/// </summary>
public sealed class Dinov2ParityTests : IClassFixture<Dinov2ParityTests.Seed0>
{
    const double Tolerance = 1e-4;
    readonly Seed0 seed0;

    public Dinov2ParityTests(Seed0 seed0) => this.seed0 = seed0;

    public sealed class Seed0 : IDisposable
    {
        public Dictionary<string, Tensor> Expected { get; } = TorchFile.LoadTensors(Path.Combine(SharedFixtures.Seed0, "expected.pth"));
        public Dinov2Encoder Encoder { get; } = Dinov2Encoder.Load(Path.Combine(SharedFixtures.Seed0, "model.pth"), Dinov2Options.Tiny);

        public void Dispose()
        {
            Encoder.Dispose();
            foreach (var t in Expected.Values) t.Dispose();
        }
    }

    static double MaxAbsError(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var diff = (actual - expected).abs().max();
        return diff.item<float>();
    }

    [Fact]
    public void Tokens_entering_block0_match_the_reference()
    {
        using var tokens = seed0.Encoder.PrepareTokens(seed0.Expected["input.image_st"]);
        Assert.True(MaxAbsError(tokens, seed0.Expected["out.encoder.tokens_in"]) <= Tolerance);
    }

    [Fact]
    public void Every_block_output_matches_the_reference()
    {
        var layers = Enumerable.Range(0, 10).ToArray();
        using var output = seed0.Encoder.Encode(seed0.Expected["input.image_st"], layers);
        Assert.Equal(28, output.GridH);
        Assert.Equal(28, output.GridW);
        foreach (var i in layers)
        {
            var error = MaxAbsError(output.Layers[i], seed0.Expected[$"out.encoder.block{i}"]);
            Assert.True(error <= Tolerance, $"block {i}: max abs error {error:E3} > {Tolerance:E0}");
        }
    }

    [Fact]
    public void Global_token_is_the_class_token_after_the_last_block_without_final_norm()
    {
        using var output = seed0.Encoder.Encode(seed0.Expected["input.image_st"], [9]);
        using var expected = seed0.Expected["out.encoder.block9"].select(1, 0);
        Assert.True(MaxAbsError(output.GlobalToken, expected) <= Tolerance);
    }

    [Fact]
    public void A_plain_key_DINOv2_file_loads_the_same_weights_as_the_AnomalyMoE_checkpoint()
    {
        using var dir = new TempDirectory();
        var whole = TorchFile.LoadTensors(Path.Combine(SharedFixtures.Seed0, "model.pth"));
        try
        {
            var plain = whole.Where(kv => kv.Key.StartsWith("encoder.", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key["encoder.".Length..], kv => kv.Value);
            var path = dir.Combine("dinov2_tiny.pth");
            TorchFile.SaveTensors(plain, path);
            using var encoder = Dinov2Encoder.Load(path, Dinov2Options.Tiny);
            using var images = seed0.Expected["input.image_st"][.., .., ..56, ..70];
            using var fromPlain = encoder.Encode(images, [4]);
            using var fromWhole = seed0.Encoder.Encode(images, [4]);
            Assert.Equal(0.0, MaxAbsError(fromPlain.Layers[0], fromWhole.Layers[0]));
        }
        finally
        {
            foreach (var t in whole.Values) t.Dispose();
        }
    }
}

/// <summary>
/// Positional-embedding interpolation against PyTorch's <c>F.interpolate</c> with DINOv2's settings
/// (golden/make_pos_embed_golden.py). Sampling by the recomputed size ratio instead of the offset scale factor
/// would differ by about 3e-3, far above the tolerance.
/// </summary>
public sealed class Dinov2PositionEmbeddingTests
{
    [Theory]
    [InlineData(392, 392)]
    [InlineData(224, 308)]
    public void Interpolated_position_embedding_matches_pytorch(int height, int width)
    {
        var golden = TorchFile.LoadTensors(Path.Combine(AppContext.BaseDirectory, "Encoders", "Dinov2", "golden", "pos_embed_golden.pth"));
        try
        {
            using var encoder = Dinov2Encoder.Load(Path.Combine(SharedFixtures.Seed0, "model.pth"), Dinov2Options.Tiny);
            using var actual = encoder.Model.InterpolatedPositionEmbedding(height, width);
            var expected = golden[$"pos_embed.{height}x{width}"];
            Assert.Equal(expected.shape, actual.shape);
            using var error = (actual - expected).abs().max();
            Assert.True(error.item<float>() <= 1e-6, $"max abs error {error.item<float>():E3}");
        }
        finally
        {
            foreach (var t in golden.Values) t.Dispose();
        }
    }
}
