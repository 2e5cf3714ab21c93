using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Tests.Evaluation;

public class PixelMetricsTests
{
    [Theory]
    [MemberData(nameof(MetricsGolden.AuproNames), MemberType = typeof(MetricsGolden))]
    public void Aupro_matches_the_MVTec_AD_evaluation(string name)
    {
        var golden = MetricsGolden.Aupro.Single(c => c.Name == name);
        var maps = new PixelMapSet(golden.Scores, golden.Masks, golden.Count, golden.Height, golden.Width);

        var metrics = PixelMetrics.Compute(maps, golden.Aupro.Keys.ToArray());

        // The MVTec AD code keeps false positive rates in float32, hence 1e-6 rather than 1e-12.
        foreach (var (limit, expected) in golden.Aupro)
            Assert.Equal(expected, metrics.AuproAt(limit), 1e-6);
    }

    [Theory]
    [InlineData(0, 0.3)]
    [InlineData(1, 0.01)]
    [InlineData(2, 0.3)]
    [InlineData(3, 0.05)]
    [InlineData(4, 1.0)]
    public void Aupro_matches_a_threshold_by_threshold_reference(int seed, double limit)
    {
        var maps = RandomMaps(seed, count: 4, height: 9, width: 11, levels: seed % 2 == 0 ? 0 : 8);

        var metrics = PixelMetrics.Compute(maps, limit);

        Assert.Equal(SlowAupro.Compute(maps, limit), metrics.AuproAt(limit), 1e-12);
    }

    [Fact]
    public void Pixel_AUROC_AP_and_F1_max_equal_the_binary_metrics_over_all_pixels()
    {
        var maps = RandomMaps(seed: 7, count: 6, height: 32, width: 32, levels: 20);

        var pixel = PixelMetrics.Compute(maps);
        var binary = BinaryMetrics.Compute(maps.Scores, maps.Masks.Select(m => m != 0 ? (byte)1 : (byte)0).ToArray());

        Assert.Equal(binary, pixel.Binary);
    }

    [Fact]
    public void Results_on_a_large_set_use_the_parallel_path_and_still_match_the_reference()
    {
        var maps = RandomMaps(seed: 11, count: 9, height: 128, width: 128, levels: 50);

        var metrics = PixelMetrics.Compute(maps, 0.3, 0.01);

        Assert.Equal(SlowAupro.Compute(maps, 0.3), metrics.AuproAt(0.3), 1e-9);
        Assert.Equal(SlowAupro.Compute(maps, 0.01), metrics.AuproAt(0.01), 1e-9);
    }

    [Fact]
    public void Pro_curve_area_equals_the_swept_aupro()
    {
        var maps = RandomMaps(seed: 3, count: 3, height: 10, width: 10, levels: 6);

        var curve = PixelMetrics.ComputeProCurve(maps);

        Assert.Equal((0.0, 0.0), (curve.FalsePositiveRates[0], curve.Overlaps[0]));
        Assert.Equal((1.0, 1.0), (curve.FalsePositiveRates[^1], curve.Overlaps[^1]));
        Assert.Equal(PixelMetrics.Compute(maps, 0.3).AuproAt(0.3), curve.NormalisedArea(0.3), 1e-12);
    }

    [Fact]
    public void A_perfect_map_has_aupro_one_and_a_uniform_map_has_aupro_half_the_limit()
    {
        var masks = new byte[2 * 8 * 8];
        masks[70] = masks[71] = masks[79] = 1;
        var perfect = masks.Select(m => (float)m).ToArray();
        var uniform = new float[masks.Length];

        Assert.Equal(1.0, PixelMetrics.Compute(new PixelMapSet(perfect, masks, 2, 8, 8)).AuproAt(0.3), 1e-12);
        // All pixels tie: the curve jumps from (0, 0) to (1, 1), so the area up to x is x²/2 and divided by x is x/2.
        Assert.Equal(0.15, PixelMetrics.Compute(new PixelMapSet(uniform, masks, 2, 8, 8)).AuproAt(0.3), 1e-12);
    }

    [Fact]
    public void NaN_in_a_map_is_an_error_naming_map_row_and_column()
    {
        var maps = RandomMaps(seed: 1, count: 3, height: 5, width: 6, levels: 0);
        maps.Scores[2 * 30 + 3 * 6 + 4] = float.NaN;

        var e = Assert.Throws<AnomalyMoEException>(() => PixelMetrics.Compute(maps));

        Assert.Contains("map 2", e.Message);
        Assert.Contains("row 3, column 4", e.Message);
    }

    [Fact]
    public void Masks_without_anomalous_pixels_are_an_error()
    {
        var maps = new PixelMapSet(new float[2 * 4 * 4], new byte[2 * 4 * 4], 2, 4, 4);
        var e = Assert.Throws<AnomalyMoEException>(() => PixelMetrics.Compute(maps));
        Assert.Contains("Only one class", e.Message);
        Assert.Contains("pixels", e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Aupro_limit_outside_zero_to_one_is_an_error(double limit)
    {
        var maps = RandomMaps(seed: 1, count: 2, height: 4, width: 4, levels: 0);
        var e = Assert.Throws<AnomalyMoEException>(() => PixelMetrics.Compute(maps, limit));
        Assert.Contains("limit", e.Message);
    }

    [Fact]
    public void Aupro_at_a_limit_that_was_not_computed_is_an_error()
    {
        var metrics = PixelMetrics.Compute(RandomMaps(seed: 1, count: 2, height: 4, width: 4, levels: 0), 0.3);
        Assert.Throws<ArgumentException>(() => metrics.AuproAt(0.01));
    }

    [Fact]
    public void Map_set_with_wrong_array_length_is_an_error()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => new PixelMapSet(new float[10], new byte[12], 3, 2, 2));
        Assert.Contains("10 values", e.Message);
    }

    [Fact]
    public void FromMaps_stacks_per_image_maps_in_order()
    {
        var set = PixelMapSet.FromMaps([[1f, 2f], [3f, 4f]], [[0, 1], [1, 0]], 1, 2);
        Assert.Equal([1f, 2f, 3f, 4f], set.Scores);
        Assert.Equal([0, 1, 1, 0], set.Masks);
    }

    /// <summary>Random masks of blobs and speckles, scores noisy but informative; levels &gt; 0 rounds scores to make ties.</summary>
    internal static PixelMapSet RandomMaps(int seed, int count, int height, int width, int levels)
    {
        var random = new Random(seed);
        var pixels = count * height * width;
        var masks = new byte[pixels];
        var scores = new float[pixels];
        for (var map = 0; map < count; map++)
        {
            if (map % 2 == 0) continue;
            for (var blob = 0; blob < 1 + random.Next(3); blob++)
            {
                int cy = random.Next(height), cx = random.Next(width), r = random.Next(0, 3);
                for (var y = Math.Max(0, cy - r); y <= Math.Min(height - 1, cy + r); y++)
                for (var x = Math.Max(0, cx - r); x <= Math.Min(width - 1, cx + r); x++)
                    masks[map * height * width + y * width + x] = 1;
            }
            masks[map * height * width + random.Next(height * width)] = 1;
        }
        for (var i = 0; i < pixels; i++)
        {
            var value = random.NextDouble() + (masks[i] != 0 ? 0.6 : 0);
            scores[i] = levels > 0 ? (float)(Math.Round(value * levels) / levels) : (float)value;
        }
        return new PixelMapSet(scores, masks, count, height, width);
    }
}

/// <summary>
/// AUPRO written out the slow, obvious way: regions by repeated min-label propagation over the 8 neighbours,
/// then for every distinct threshold the FPR and the mean per-region overlap counted from scratch, then the
/// trapezoid rule on the stored curve, cut at the limit with linear interpolation.
/// </summary>
internal static class SlowAupro
{
    public static double Compute(PixelMapSet maps, double limit)
    {
        var (regionOf, regionCount) = Regions(maps);
        var scores = maps.Scores;
        var normal = Enumerable.Range(0, scores.Length).Where(i => regionOf[i] < 0).ToArray();
        var regionPixels = Enumerable.Range(0, regionCount).Select(r => Enumerable.Range(0, scores.Length).Where(i => regionOf[i] == r).ToArray()).ToArray();
        var xs = new List<double> { 0 };
        var ys = new List<double> { 0 };
        foreach (var threshold in scores.Distinct().OrderDescending())
        {
            xs.Add(normal.Count(i => scores[i] >= threshold) / (double)normal.Length);
            ys.Add(regionPixels.Average(region => region.Count(i => scores[i] >= threshold) / (double)region.Length));
        }
        xs.Add(1);
        ys.Add(1);

        double area = 0;
        for (var k = 1; k < xs.Count; k++)
        {
            if (xs[k] <= limit)
            {
                area += (xs[k] - xs[k - 1]) * (ys[k] + ys[k - 1]) / 2;
                continue;
            }
            var yAtLimit = ys[k - 1] + (ys[k] - ys[k - 1]) * (limit - xs[k - 1]) / (xs[k] - xs[k - 1]);
            area += (limit - xs[k - 1]) * (yAtLimit + ys[k - 1]) / 2;
            break;
        }
        return area / limit;
    }

    static (int[] RegionOf, int Count) Regions(PixelMapSet maps)
    {
        int h = maps.Height, w = maps.Width, perMap = h * w;
        var label = Enumerable.Range(0, maps.Masks.Length).Select(i => maps.Masks[i] != 0 ? i : -1).ToArray();
        for (var changed = true; changed;)
        {
            changed = false;
            for (var i = 0; i < label.Length; i++)
            {
                if (label[i] < 0) continue;
                int map = i / perMap, y = i % perMap / w, x = i % w;
                for (var dy = -1; dy <= 1; dy++)
                for (var dx = -1; dx <= 1; dx++)
                {
                    int ny = y + dy, nx = x + dx;
                    if (ny < 0 || ny >= h || nx < 0 || nx >= w) continue;
                    var j = map * perMap + ny * w + nx;
                    if (label[j] >= 0 && label[j] < label[i]) { label[i] = label[j]; changed = true; }
                }
            }
        }
        var ids = label.Where(l => l >= 0).Distinct().Select((l, index) => (l, index)).ToDictionary(p => p.l, p => p.index);
        return (label.Select(l => l < 0 ? -1 : ids[l]).ToArray(), ids.Count);
    }
}
