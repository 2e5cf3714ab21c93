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
/// Positional-embedding interpolation. The stored golden (golden/make_pos_embed_golden.py: PyTorch's <c>F.interpolate</c>
/// with DINOv2's settings) holds the embedding it resized, so it pins both the kit and <see cref="BicubicReference"/>
/// to PyTorch whatever fixture is installed; the fixture's own embedding is then checked against the reference.
/// Sampling by the recomputed size ratio instead of the offset scale factor would differ by about 3e-3, far above the tolerance.
/// </summary>
public sealed class Dinov2PositionEmbeddingTests
{
    const double Tolerance = 1e-6;

    static Dictionary<string, Tensor> Golden() =>
        TorchFile.LoadTensors(Path.Combine(AppContext.BaseDirectory, "Encoders", "Dinov2", "golden", "pos_embed_golden.pth"));

    static double MaxAbsError(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var error = (actual.to_type(ScalarType.Float64) - expected.to_type(ScalarType.Float64)).abs().max();
        return error.item<double>();
    }

    /// <summary>A Tiny encoder whose positional embedding is <paramref name="embedding"/>.</summary>
    static DinoVisionTransformer WithEmbedding(Tensor embedding)
    {
        var model = new DinoVisionTransformer(Dinov2Options.Tiny);
        using (no_grad()) model.state_dict()["pos_embed"].copy_(embedding);
        return model;
    }

    [Theory]
    [InlineData(392, 392)]
    [InlineData(224, 308)]
    public void Interpolated_position_embedding_matches_pytorch(int height, int width)
    {
        var golden = Golden();
        try
        {
            var expected = golden[$"pos_embed.{height}x{width}"];
            using var model = WithEmbedding(golden["input.pos_embed"]);
            using var actual = model.InterpolatedPositionEmbedding(height, width);
            var error = MaxAbsError(actual, expected);
            Assert.True(error <= Tolerance, $"kit: max abs error {error:E3}");
            using var reference = BicubicReference.PositionEmbedding(golden["input.pos_embed"], height, width, Dinov2Options.Tiny);
            var referenceError = MaxAbsError(reference, expected);
            Assert.True(referenceError <= Tolerance, $"reference: max abs error {referenceError:E3}");
        }
        finally
        {
            foreach (var t in golden.Values) t.Dispose();
        }
    }

    [Theory]
    [InlineData(392, 392)]
    [InlineData(224, 308)]
    public void Fixture_encoder_position_embedding_matches_the_reference_on_its_own_weights(int height, int width)
    {
        using var encoder = Dinov2Encoder.Load(Path.Combine(SharedFixtures.Seed0, "model.pth"), Dinov2Options.Tiny);
        using var actual = encoder.Model.InterpolatedPositionEmbedding(height, width);
        using var expected = BicubicReference.PositionEmbedding(encoder.Model.state_dict()["pos_embed"], height, width, Dinov2Options.Tiny);
        var error = MaxAbsError(actual, expected);
        Assert.True(error <= Tolerance, $"max abs error {error:E3}");
    }
}

/// <summary>
/// PyTorch's CPU bicubic upsampling (align_corners false, A = -0.75, borders clamped, sampling by the given scale factor)
/// written out in scalar double arithmetic, independent of libtorch's kernel.
/// </summary>
static class BicubicReference
{
    const double A = -0.75;

    static double Near(double x) => ((A + 2) * x - (A + 3)) * x * x + 1;

    static double Far(double x) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;

    /// <summary>The four taps and weights of output index <paramref name="o"/> at scale <paramref name="scale"/> over <paramref name="n"/> inputs.</summary>
    static (int[] Index, double[] Weight) Taps(int o, double scale, int n)
    {
        double real = (o + 0.5) / scale - 0.5;
        int i = (int)Math.Floor(real);
        double t = real - i;
        return ([Math.Clamp(i - 1, 0, n - 1), Math.Clamp(i, 0, n - 1), Math.Clamp(i + 1, 0, n - 1), Math.Clamp(i + 2, 0, n - 1)],
            [Far(t + 1), Near(t), Near(1 - t), Far(2 - t)]);
    }

    /// <summary>DINOv2's <c>interpolate_pos_encoding</c> of <paramref name="embedding"/> <c>[1, 1 + grid², D]</c> for an input of height × width pixels.</summary>
    public static Tensor PositionEmbedding(Tensor embedding, int height, int width, Dinov2Options options)
    {
        int grid = options.PosEmbedGrid, d = options.Width;
        int gh = height / options.PatchSize, gw = width / options.PatchSize;
        var e = embedding.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        var result = new double[(1 + gh * gw) * d];
        Array.Copy(e, result, d);
        double scaleY = (gh + options.InterpolateOffset) / grid, scaleX = (gw + options.InterpolateOffset) / grid;
        for (int y = 0; y < gh; y++)
        {
            var (iy, wy) = Taps(y, scaleY, grid);
            for (int x = 0; x < gw; x++)
            {
                var (ix, wx) = Taps(x, scaleX, grid);
                for (int c = 0; c < d; c++)
                {
                    double sum = 0;
                    for (int a = 0; a < 4; a++)
                        for (int b = 0; b < 4; b++)
                            sum += wy[a] * wx[b] * e[(1 + iy[a] * grid + ix[b]) * d + c];
                    result[(1 + y * gw + x) * d + c] = sum;
                }
            }
        }
        return tensor(result, [1, 1 + gh * gw, d]);
    }
}
