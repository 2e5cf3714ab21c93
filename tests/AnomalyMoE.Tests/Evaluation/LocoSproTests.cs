using AnomalyMoE.Evaluation;

namespace AnomalyMoE.Tests.Evaluation;

public class LocoSproTests
{
    static LocoDefectConfig Absolute(int pixels) => new("abs", 255, pixels, false);
    static LocoDefectConfig Relative(double fraction) => new("rel", 254, fraction, true);

    static bool[] Mask(int length, params int[] on)
    {
        var m = new bool[length];
        foreach (var i in on) m[i] = true;
        return m;
    }

    [Fact]
    public void Saturation_area_is_absolute_capped_by_the_region_or_relative_truncated()
    {
        Assert.Equal(10, Absolute(50).SaturationArea(10));
        Assert.Equal(50, Absolute(50).SaturationArea(400));
        Assert.Equal(3, Relative(0.35).SaturationArea(10)); // int(3.5)
        Assert.Equal(1, Relative(0.1).SaturationArea(3));   // int(0.3) = 0 would divide by zero
    }

    [Fact]
    public void Spro_saturates_at_the_saturation_area()
    {
        var region = new LocoRegion(Mask(6, 0, 1, 2, 3), Relative(0.5)); // area 4 → saturates at 2 pixels
        float[] map = [0.9f, 0.8f, 0.7f, 0.1f, 0.95f, 0f];

        Assert.Equal(0.0, LocoSpro.Spro(region, map, 0.95));
        Assert.Equal(0.5, LocoSpro.Spro(region, map, 0.85));
        Assert.Equal(1.0, LocoSpro.Spro(region, map, 0.75));
        Assert.Equal(1.0, LocoSpro.Spro(region, map, 0.0));
    }

    [Fact]
    public void A_map_that_finds_each_region_before_any_false_positive_scores_one()
    {
        // Image 1 (1×4): region = pixels 0,1 saturating at 1 pixel; image 2 is good.
        var samples = new List<LocoSample>
        {
            new("logical_anomalies", [0.9f, 0.1f, 0.5f, 0.2f], new LocoGroundTruth(4, 1, [new LocoRegion(Mask(4, 0, 1), Absolute(1))])),
            new("good", [0.3f, 0.05f], LocoGroundTruth.Good(2, 1)),
        };

        var curve = LocoSpro.Curve(samples);

        Assert.Equal(0, curve.FalsePositiveRates[0]);
        Assert.Equal(1, curve.FalsePositiveRates[^1]);
        Assert.Equal(1.0, curve.MeanSpros[^1]);
        Assert.Equal(1.0, LocoSpro.AucSpro(curve, 0.05), 12);
        Assert.Equal(1.0, LocoSpro.AucSpro(curve, 1.0), 12);
    }

    [Fact]
    public void Auc_spro_matches_the_hand_computed_trapezoid_with_interpolation_at_the_limit()
    {
        // One region of 2 pixels (saturating at 2) and 4 negative pixels.
        // Descending scores: 0.9 neg, 0.8 region, 0.7 neg, 0.6 region, 0.5 neg, 0.4 neg.
        var samples = new List<LocoSample>
        {
            new("structural_anomalies", [0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f], new LocoGroundTruth(6, 1, [new LocoRegion(Mask(6, 1, 3), Absolute(2))])),
        };
        var curve = LocoSpro.Curve(samples);
        // Points (FPR, sPRO) from threshold +∞ down to −∞: (0,0) (0,0) (.25,0) (.25,.5) (.5,.5) (.5,1) (.75,1) (1,1).
        Assert.Equal([0, 0, 0.25, 0.25, 0.5, 0.5, 0.75, 1], curve.FalsePositiveRates);
        Assert.Equal([0, 0, 0, 0.5, 0.5, 1, 1, 1], curve.MeanSpros);

        // Up to 0.3: 0 on [0, .25], then 0.5 on [.25, .3] → 0.025; divided by 0.3.
        Assert.Equal(0.025 / 0.3, LocoSpro.AucSpro(curve, 0.3), 12);
        // Up to 1: 0.5 on [.25, .5] and 1 on [.5, 1] → 0.125 + 0.5.
        Assert.Equal(0.625, LocoSpro.AucSpro(curve, 1.0), 12);
    }

    [Fact]
    public void Quantile_thresholds_approximate_the_exact_curve()
    {
        var random = new Random(3);
        var samples = new List<LocoSample>();
        for (int s = 0; s < 6; s++)
        {
            var map = new float[400];
            var region = new bool[400];
            for (int i = 0; i < map.Length; i++)
            {
                region[i] = s % 2 == 0 && i % 20 < 5 && i / 20 < 5;
                map[i] = (float)(random.NextDouble() + (region[i] ? 0.3 : 0));
            }
            var gt = s % 2 == 0 ? new LocoGroundTruth(20, 20, [new LocoRegion(region, Relative(0.9))]) : LocoGroundTruth.Good(20, 20);
            samples.Add(new(s % 2 == 0 ? "logical_anomalies" : "good", map, gt));
        }

        double exact = LocoSpro.AucSpro(LocoSpro.Curve(samples, maxThresholds: 10_000), 0.05);
        double coarse = LocoSpro.AucSpro(LocoSpro.Curve(samples, maxThresholds: 500), 0.05);

        Assert.InRange(exact, 0.05, 0.999);
        Assert.Equal(exact, coarse, 2);
    }

    [Fact]
    public void Overlapping_regions_are_never_false_positives_and_each_counts_once()
    {
        // Two regions share pixel 1; pixel 2 is the only negative.
        var regions = new[] { new LocoRegion(Mask(3, 0, 1), Absolute(2)), new LocoRegion(Mask(3, 1), Absolute(1)) };
        var samples = new List<LocoSample> { new("logical_anomalies", [0.2f, 0.9f, 0.5f], new LocoGroundTruth(3, 1, regions)) };

        var curve = LocoSpro.Curve(samples);

        // After 0.9: region A 1/2, region B 1/1 → mean 0.75 at FPR 0.
        Assert.Equal(0.75, curve.MeanSpros[2]);
        Assert.Equal(0, curve.FalsePositiveRates[2]);
        Assert.Equal(2, curve.Regions);
    }

    [Fact]
    public void Evaluate_reports_auc_spro_per_type_and_image_auroc_split_logical_and_structural()
    {
        var samples = new List<LocoSample>
        {
            new("good", [0.1f, 0.2f], LocoGroundTruth.Good(2, 1)),
            new("logical_anomalies", [0.9f, 0.1f], new LocoGroundTruth(2, 1, [new LocoRegion(Mask(2, 0), Absolute(1))])),
            new("structural_anomalies", [0.15f, 0.05f], new LocoGroundTruth(2, 1, [new LocoRegion(Mask(2, 0), Absolute(1))])),
        };

        var report = LocoSpro.Evaluate(samples, imageScores: [0.2, 0.9, 0.1], maxFprs: [0.05, 0.3]);

        Assert.Equal(1.0, report.AucSproLogical[0.05], 12);
        Assert.True(report.AucSproStructural[0.05] < 0.5);
        Assert.Equal(1.0, report.ImageAuroc.Logical);
        Assert.Equal(0.0, report.ImageAuroc.Structural);
        Assert.Equal(0.5, report.ImageAuroc.Mean);
    }

    [Fact]
    public void The_defects_config_is_parsed_and_a_bad_entry_named()
    {
        var config = LocoDefectsConfig.Parse("""
            [{"defect_name": "a", "pixel_value": 255, "saturation_threshold": 2000, "relative_saturation": false},
             {"defect_name": "b", "pixel_value": 7, "saturation_threshold": 0.3, "relative_saturation": true}]
            """);
        Assert.Equal("b", config.ByPixelValue[7].DefectName);
        Assert.True(config.ByPixelValue[7].RelativeSaturation);

        var e = Assert.Throws<ArgumentException>(() => LocoDefectsConfig.Parse("""
            [{"defect_name": "c", "pixel_value": 9, "saturation_threshold": 1.5, "relative_saturation": true}]
            """));
        Assert.Contains("'c'", e.Message);
    }

    [Fact]
    public void A_map_of_the_wrong_size_is_refused()
    {
        var samples = new List<LocoSample> { new("good", [0.1f, 0.2f, 0.3f], LocoGroundTruth.Good(2, 1)) };
        Assert.Throws<ArgumentException>(() => LocoSpro.Curve(samples));
    }
}
