using System.Text.Json;
using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;
using TorchSharp;

namespace AnomalyMoE.Tests.Data;

/// <summary>Transform numerics against PyTorch 1.13 (golden/make_transform_golden.py → golden/transform_golden.json).</summary>
public class ImageTransformsTests
{
    const float Tolerance = 2e-5f;

    sealed record JitterCase(string Kind, float Factor, float[] Image);
    sealed record GoldenCase(int Resize, int Crop, bool Antialias, float[] Image, float[] Mask, JitterCase[] Jitter);
    sealed record Golden(int Height, int Width, int[] Image_u8_hwc, int[] Mask_u8, GoldenCase[] Cases);

    static readonly Lazy<Golden> Values = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "golden", "transform_golden.json");
        var options = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        return JsonSerializer.Deserialize<Golden>(File.ReadAllText(path), options)!;
    });

    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < 10; i++) data.Add(i);
        return data;
    }

    static string WriteGoldenImage(TempDirectory dir)
    {
        var g = Values.Value;
        return TestImages.WritePng(dir.Combine("golden.png"), g.Width, g.Height, (x, y) =>
        {
            int i = 3 * (y * g.Width + x);
            return ((byte)g.Image_u8_hwc[i], (byte)g.Image_u8_hwc[i + 1], (byte)g.Image_u8_hwc[i + 2]);
        });
    }

    static string WriteGoldenMask(TempDirectory dir)
    {
        var g = Values.Value;
        return TestImages.WriteGrayPng(dir.Combine("golden_mask.png"), g.Width, g.Height, (x, y) => (byte)g.Mask_u8[y * g.Width + x]);
    }

    static ImageTransformOptions OptionsFor(GoldenCase c) =>
        new(c.Resize, c.Crop, ImageNormalization.ImageNet, c.Antialias ? ResizeFilter.BilinearAntialias : ResizeFilter.Bilinear);

    static void AssertClose(float[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            float d = MathF.Abs(expected[i] - actual[i]);
            if (d > worst) { worst = d; at = i; }
        }
        Assert.True(worst <= Tolerance, $"{what}: max |difference| {worst} at {at} (expected {(at >= 0 ? expected[at] : 0)}, got {(at >= 0 ? actual[at] : 0)})");
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Resize_crop_normalise_matches_torch_interpolate(int index)
    {
        using var dir = new TempDirectory();
        var c = Values.Value.Cases[index];
        var image = ImageDecoder.DecodeRgb(WriteGoldenImage(dir));
        var actual = new float[3 * c.Crop * c.Crop];

        ImageTransforms.TransformImage(image, OptionsFor(c), actual);

        AssertClose(c.Image, actual, $"resize {c.Resize}, crop {c.Crop}, antialias {c.Antialias}");
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Mask_nearest_resize_and_crop_matches_torch_interpolate(int index)
    {
        using var dir = new TempDirectory();
        var c = Values.Value.Cases[index];
        var mask = ImageDecoder.DecodeMask(WriteGoldenMask(dir));
        var actual = new float[c.Crop * c.Crop];

        ImageTransforms.TransformMask(mask, OptionsFor(c), actual);

        Assert.Equal(c.Mask, actual);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Jitter_matches_torchvision_tensor_semantics(int index)
    {
        using var dir = new TempDirectory();
        var c = Values.Value.Cases[index];
        Assert.Equal(6, c.Jitter.Length);
        var image = ImageDecoder.DecodeRgb(WriteGoldenImage(dir));
        foreach (var j in c.Jitter)
        {
            var actual = new float[3 * c.Crop * c.Crop];
            ImageTransforms.TransformImage(image, OptionsFor(c), actual, new JitterChoice(Enum.Parse<JitterKind>(j.Kind), j.Factor));
            AssertClose(j.Image, actual, $"{j.Kind} {j.Factor}, antialias {c.Antialias}");
        }
    }

    [Fact]
    public void Both_views_from_one_resize_equal_the_separate_transforms()
    {
        using var dir = new TempDirectory();
        var c = Values.Value.Cases[1];
        var image = ImageDecoder.DecodeRgb(WriteGoldenImage(dir));
        int n = 3 * c.Crop * c.Crop;
        foreach (var jitter in new[] { new JitterChoice(JitterKind.Contrast, 1.2f), new JitterChoice(JitterKind.Saturation, 0.85f) })
        {
            float[] plain = new float[n], jittered = new float[n], expectedPlain = new float[n], expectedJittered = new float[n];

            ImageTransforms.TransformImageViews(image, OptionsFor(c), plain, jittered, jitter);
            ImageTransforms.TransformImage(image, OptionsFor(c), expectedPlain);
            ImageTransforms.TransformImage(image, OptionsFor(c), expectedJittered, jitter);

            Assert.Equal(expectedPlain, plain);
            Assert.Equal(expectedJittered, jittered);
        }
    }

    [Fact]
    public void Antialiasing_changes_a_downscale()
    {
        var c0 = Values.Value.Cases[0];
        var c1 = Values.Value.Cases[1];
        Assert.Equal((c0.Resize, c0.Crop, false, true), (c1.Resize, c1.Crop, c0.Antialias, c1.Antialias));
        Assert.NotEqual(c0.Image, c1.Image);
    }

    [Theory]
    [InlineData(448, 392, 28)]
    [InlineData(15, 12, 2)]   // 1.5 rounds to even: 2
    [InlineData(17, 12, 2)]   // 2.5 rounds to even: 2
    [InlineData(12, 12, 0)]
    public void Center_crop_offset_matches_torchvision(int size, int crop, int expected) =>
        Assert.Equal(expected, ImageTransforms.CenterCropOffset(size, crop));

    [Fact]
    public void Resize_to_the_same_size_is_the_identity()
    {
        float[] planes = Enumerable.Range(0, 2 * 3 * 4).Select(i => i / 24f).ToArray();
        foreach (var filter in new[] { ResizeFilter.Bilinear, ResizeFilter.BilinearAntialias })
            Assert.Equal(planes, ImageTransforms.Resize(planes, 2, 3, 4, 3, 4, filter));
    }

    [Fact]
    public void Load_image_gives_a_float32_tensor_of_three_by_crop_by_crop()
    {
        using var dir = new TempDirectory();
        var path = TestImages.WriteSolidPng(dir.Combine("a.png"), 20, 10, 255, 0, 128);
        var options = new ImageTransformOptions(16, 14, ImageNormalization.ImageNet);

        using var tensor = ImageTransforms.LoadImage(path, options);

        Assert.Equal(new long[] { 3, 14, 14 }, tensor.shape);
        Assert.Equal(torch.ScalarType.Float32, tensor.dtype);
        Assert.Equal((1f - 0.485f) / 0.229f, tensor[0, 5, 5].item<float>(), 5);
        Assert.Equal((0f - 0.456f) / 0.224f, tensor[1, 0, 13].item<float>(), 5);
    }

    [Fact]
    public void Load_mask_gives_zeros_without_a_mask_and_zero_one_values_with_one()
    {
        using var dir = new TempDirectory();
        var path = TestImages.WriteMask(dir.Combine("m.png"), 8, 8, (x, _) => x < 4, on: 3);
        var options = new ImageTransformOptions(8, 8, ImageNormalization.ImageNet);

        using var none = ImageTransforms.LoadMask(null, options);
        using var mask = ImageTransforms.LoadMask(path, options);

        Assert.Equal(new long[] { 1, 8, 8 }, mask.shape);
        Assert.Equal(0f, none.sum().item<float>());
        Assert.Equal(32f, mask.sum().item<float>());
        Assert.Equal(1f, mask.max().item<float>());
    }

    [Fact]
    public void Reference_preset_is_448_to_392_with_imagenet_statistics()
    {
        var options = ImageTransformOptions.Reference;
        Assert.Equal((448, 392), (options.ResizeTo, options.CropTo));
        Assert.Same(ImageNormalization.ImageNet, options.Normalization);
        Assert.Equal(0.2f, options.JitterStrength);
    }

    [Theory]
    [InlineData(0, 0, "ResizeTo")]
    [InlineData(100, 120, "CropTo")]
    [InlineData(100, 0, "CropTo")]
    public void Invalid_sizes_are_rejected_naming_the_value(int resize, int crop, string name)
    {
        var e = Assert.Throws<AnomalyMoEException>(() => new ImageTransformOptions(resize, crop, ImageNormalization.ImageNet).Validate());
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Jitter_draws_each_kind_with_factors_inside_the_strength()
    {
        var random = new Random(7);
        var draws = Enumerable.Range(0, 300).Select(_ => JitterChoice.Sample(random, 0.2f)).ToList();

        Assert.Equal(3, draws.Select(d => d.Kind).Distinct().Count());
        Assert.All(draws, d => Assert.InRange(d.Factor, 0.8f, 1.2f));
    }
}
