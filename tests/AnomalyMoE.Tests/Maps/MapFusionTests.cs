using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Maps;

public class MapFusionTests
{
    [Fact]
    public void Gaussian_kernel_sums_to_one_and_peaks_in_the_centre()
    {
        using var k = MapFusion.GaussianKernel(5, 4);
        Assert.Equal(1.0, k.sum().item<float>(), 5);
        Assert.Equal(k.max().item<float>(), k[0, 0, 2, 2].item<float>());
    }

    [Fact]
    public void Blur_pads_with_zeros()
    {
        using var maps = ones(1, 1, 8, 8);
        using var blurred = MapFusion.GaussianBlur(maps, 5, 4);
        Assert.True(blurred[0, 0, 0, 0].item<float>() < blurred[0, 0, 4, 4].item<float>());
        Assert.Equal(1f, blurred[0, 0, 4, 4].item<float>(), 5);
    }

    [Fact]
    public void Score_is_the_mean_of_the_top_fraction()
    {
        using var maps = arange(100, dtype: float32).view(1, 1, 10, 10);
        using var s = MapFusion.TopFractionMean(maps, 0.03);
        Assert.Equal((99 + 98 + 97) / 3f, s.item<float>(), 4);
        using var one = MapFusion.TopFractionMean(maps, 0.001);
        Assert.Equal(99f, one.item<float>());
    }

    [Fact]
    public void A_level_with_zero_experts_is_left_out()
    {
        using var patch = rand(2, 1, 16, 16);
        using var weights = tensor(new float[] { 1, 0, 0.5f, 0.5f }, [2, 2]);
        using var withoutOthers = MapFusion.Fuse(patch, null, null, weights, new ExpertLayout(2, 0, 0), new MapFusionOptions(ResizeTo: 16, GaussianKernelSize: 1));
        using var expected = MapFusion.MinMaxNormalize(patch) * tensor(new float[] { 1, 0.5f }).view(-1, 1, 1, 1);
        Assert.True(withoutOthers.Smoothed.allclose(expected, atol: 1e-6));
    }

    [Fact]
    public void Mismatched_routing_width_names_the_counts()
    {
        using var m = rand(1, 1, 4, 4);
        using var w = rand(1, 5);
        var e = Assert.Throws<ArgumentException>(() => MapFusion.Fuse(m, m, m, w, new ExpertLayout(2, 2, 2)));
        Assert.Contains("2 patch + 2 global + 2 component", e.Message);
    }

    [Fact]
    public void Options_validation_names_the_bad_value()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MapFusionOptions(GaussianKernelSize: 4).Validate());
        Assert.Contains("GaussianKernelSize", e.Message);
    }

    public static TheoryData<LevelFusionRule, float, float> Rules() => new()
    {
        // Levels z = 1 and 3 at one pixel.
        { LevelFusionRule.Sum, 2, 4f },
        { LevelFusionRule.Max, 2, 3f },
        { LevelFusionRule.SoftMax, 2, 2 * MathF.Log(MathF.Exp(0.5f) + MathF.Exp(1.5f)) },
        { LevelFusionRule.SoftMax, 0.05f, 3f },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Levels_combine_by_the_rule(LevelFusionRule rule, float temperature, float expected)
    {
        using var one = full(1, 1, 2, 2, 1f);
        using var three = full(1, 1, 2, 2, 3f);
        using var combined = MapFusion.Combine([one, three], new LevelFusion(rule, temperature));
        Assert.Equal(expected, combined[0, 0, 1, 1].item<float>(), 4);
    }

    [Fact]
    public void The_soft_maximum_lies_between_the_max_and_the_max_plus_T_log_of_the_level_count()
    {
        using var a = randn(2, 1, 8, 8) * 5;
        using var b = randn(2, 1, 8, 8) * 5;
        using var c = randn(2, 1, 8, 8) * 5;
        using var max = MapFusion.Combine([a, b, c], LevelFusion.Max);
        using var soft = MapFusion.Combine([a, b, c], LevelFusion.SoftMax);
        Assert.True((soft >= max - 1e-5).all().item<bool>());
        Assert.True((soft <= max + LevelFusion.DefaultTemperature * Math.Log(3) + 1e-5).all().item<bool>());
    }

    [Theory]
    [InlineData(LevelFusionRule.Sum)]
    [InlineData(LevelFusionRule.Max)]
    [InlineData(LevelFusionRule.SoftMax)]
    public void A_lone_level_is_itself_under_every_rule(LevelFusionRule rule)
    {
        using var z = randn(2, 1, 4, 4);
        using var combined = MapFusion.Combine([z], new LevelFusion(rule));
        Assert.True(combined.allclose(z));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.PositiveInfinity)]
    public void A_temperature_that_is_not_a_positive_number_is_named(double temperature)
    {
        var e = Assert.Throws<AnomalyMoE.Runtime.AnomalyMoEException>(() => new LevelFusion(LevelFusionRule.SoftMax, temperature).Validate());
        Assert.Contains("temperature", e.Message);
    }
}
