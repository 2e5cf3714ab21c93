using System.Text.Json;
using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Evaluation;

public class DatasetSpecificReportTests
{
    const int Side = DatasetSpecificFixtures.Side;

    static float[] Map(ImageRecord record)
    {
        var mask = DatasetSpecificFixtures.MaskOf(record);
        return ScriptedDetector.NoisyMap(record, Side, i => mask[i]);
    }

    static readonly Dictionary<(string Defect, string Stem), float> LocoScores = new()
    {
        [("good", "000")] = 0.2f, [("good", "001")] = 0.5f, [("good", "002")] = 0.35f,
        [("logical_anomalies", "000")] = 0.6f, [("logical_anomalies", "001")] = 0.3f,
        [("structural_anomalies", "000")] = 0.4f, [("structural_anomalies", "001")] = 0.9f,
    };

    static float LocoScore(ImageRecord r) => LocoScores[(r.DefectType, Path.GetFileNameWithoutExtension(r.Path))];

    // Per clip the anomalous frames score above the normal ones; pooled, clip Test002's high normal scores are not.
    static readonly Dictionary<string, float> Ped2Scores = new()
    {
        ["Test001_001"] = 0.1f, ["Test001_002"] = 0.3f, ["Test001_003"] = 0.35f,
        ["Test002_001"] = 0.5f, ["Test002_002"] = 0.6f, ["Test002_003"] = 0.55f,
    };

    static float Ped2Score(ImageRecord r) => Ped2Scores[Path.GetFileNameWithoutExtension(r.Path)];

    static float AnyScore(ImageRecord r) => r.IsAnomalous ? 0.7f : 0.2f + 0.01f * Path.GetFileNameWithoutExtension(r.Path).Length;

    static float Score(ImageRecord r) => r.Dataset switch
    {
        "mvtec_loco" => LocoScore(r),
        "Ped2" => Ped2Score(r),
        _ => AnyScore(r),
    };

    static ScriptedDetector Detector() => new(ScriptedDetector.PresetFor(Side), Side, Map, Score);

    static CategoryEvaluation Only(EvaluationReport report, string key) => report.Categories.Single(c => c.Metrics.Category == key);

    [Fact]
    public void Loco_auc_spro_is_computed_from_the_kept_region_masks_and_their_saturation()
    {
        using var dir = new TempDirectory();
        var category = DatasetSpecificFixtures.Read(DatasetSpecificFixtures.PrepareLoco(dir)).Single();

        var report = DetectorEvaluation.Evaluate(Detector(), [category], overlaysPerSide: 0);

        var config = LocoDefectsConfig.Load(Path.Combine(category.Folder, "defects_config.json"));
        var samples = category.Test.Select(r => new LocoSample(r.DefectType, Map(r), r.IsAnomalous
            ? LocoGroundTruth.ReadFolder(Path.Combine(category.Folder, "ground_truth", r.DefectType, Path.GetFileNameWithoutExtension(r.Path)), config)
            : LocoGroundTruth.Good(Side, Side))).ToList();
        var expected = LocoSpro.AucSpro(LocoSpro.Curve(samples), 0.05);
        // The united masks scored as plain per-image regions give another number, so the regions must have been used.
        var united = category.Test.Select(r => new LocoSample(r.DefectType, Map(r), new LocoGroundTruth(Side, Side,
            r.IsAnomalous ? [new LocoRegion(DatasetSpecificFixtures.MaskOf(r), new LocoDefectConfig("all", 255, 1.0, true))] : []))).ToList();
        Assert.NotEqual(expected, LocoSpro.AucSpro(LocoSpro.Curve(united), 0.05), 6);
        var metrics = Only(report, "mvtec_loco/breakfast_box").DatasetMetrics;
        Assert.NotNull(metrics);
        Assert.Equal(DatasetMetricsKind.MvtecLoco, metrics.Kind);
        Assert.Equal(expected, metrics.AucSpro!.Value, 12);
    }

    [Fact]
    public void Loco_image_auroc_is_reported_for_logical_and_structural_anomalies_apart()
    {
        using var dir = new TempDirectory();
        var category = DatasetSpecificFixtures.Read(DatasetSpecificFixtures.PrepareLoco(dir)).Single();

        var metrics = DetectorEvaluation.Evaluate(Detector(), [category], overlaysPerSide: 0).Categories.Single().DatasetMetrics!;

        var direct = LocoImageAuroc.Compute(category.Test.Select(r => (r.DefectType, (double)LocoScore(r))).ToList());
        Assert.Equal(4.0 / 6, metrics.ImageAurocLogical!.Value, 12);     // goods 0.2, 0.5, 0.35 against 0.6, 0.3
        Assert.Equal(5.0 / 6, metrics.ImageAurocStructural!.Value, 12);  // against 0.4, 0.9
        Assert.Equal(direct.Logical, metrics.ImageAurocLogical.Value, 12);
        Assert.Equal(direct.Structural, metrics.ImageAurocStructural.Value, 12);
    }

    [Fact]
    public void Loco_absolute_saturation_is_rescaled_when_the_maps_are_smaller_than_the_masks()
    {
        using var dir = new TempDirectory();
        // One 4×4-pixel region (16 mask pixels) saturating at 8 pixels; the maps are 4×4 for 8×8 images, so the region
        // covers 2×2 map pixels and saturates at 8 · 16/64 = 2 of them.
        int[] block = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
        var root = DatasetSpecificFixtures.PrepareLoco(dir, new Dictionary<(string, string), (byte, int[])[]> { [("logical_anomalies", "000")] = [(255, block)] },
            """[{"defect_name": "missing", "pixel_value": 255, "saturation_threshold": 8, "relative_saturation": false}]""");
        var category = DatasetSpecificFixtures.Read(root).Single();
        // The anomalous map finds two of the region's four map pixels and nothing else scores above zero.
        var detector = new ScriptedDetector(ScriptedDetector.PresetFor(4), 4,
            r => r.IsAnomalous ? [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] : new float[16], r => r.IsAnomalous ? 1 : 0);

        var metrics = DetectorEvaluation.Evaluate(detector, [category], overlaysPerSide: 0).Categories.Single().DatasetMetrics!;

        // Saturated at FPR 0, so the normalised area is 1; unscaled (saturation at all 4 map pixels) it would be 0.5.
        Assert.Equal(1.0, metrics.AucSpro!.Value, 12);
    }

    [Fact]
    public void A_loco_value_without_images_to_measure_it_is_null()
    {
        using var dir = new TempDirectory();
        var root = DatasetSpecificFixtures.PrepareLoco(dir, new Dictionary<(string, string), (byte, int[])[]> { [("logical_anomalies", "000")] = [(255, [0, 1])] },
            DatasetSpecificFixtures.LocoConfig);
        var category = DatasetSpecificFixtures.Read(root).Single();
        var reportDir = dir.Combine("report");

        var metrics = DetectorEvaluation.Evaluate(Detector(), [category], reportDir, overlaysPerSide: 0).Categories.Single().DatasetMetrics!;

        Assert.Null(metrics.ImageAurocStructural);
        Assert.NotNull(metrics.ImageAurocLogical);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(reportDir, "metrics.json")));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("categories").GetProperty("mvtec_loco/breakfast_box").GetProperty("image_auroc_structural").ValueKind);
    }

    [Fact]
    public void A_loco_category_without_its_region_masks_fails_naming_the_missing_folder()
    {
        using var dir = new TempDirectory();
        var root = DatasetSpecificFixtures.PrepareLoco(dir);
        var missing = Path.Combine(root, DatasetSpecificFixtures.LocoCategory, "ground_truth", "structural_anomalies", "001");
        Directory.Delete(missing, recursive: true);
        var category = DatasetSpecificFixtures.Read(root).Single();

        var error = Assert.Throws<AnomalyMoEException>(() => DetectorEvaluation.Evaluate(Detector(), [category], overlaysPerSide: 0));

        Assert.Contains(missing, error.Message);
        Assert.Contains("mvtec_loco/breakfast_box", error.Message);
    }

    [Fact]
    public void Ped2_frame_auroc_pools_all_test_frames_of_all_clips()
    {
        using var dir = new TempDirectory();
        var category = DatasetSpecificFixtures.Read(DatasetSpecificFixtures.PreparePed2(dir)).Single();

        var metrics = DetectorEvaluation.Evaluate(Detector(), [category], overlaysPerSide: 0).Categories.Single().DatasetMetrics!;

        var frames = Ped2Scores.Select(kv =>
        {
            var (clip, frame) = FrameLevelAuroc.ParseConvertedName(kv.Key + ".png");
            return new FrameScore(clip, frame, kv.Value, DatasetSpecificFixtures.Ped2AnomalousFrames.Contains((clip, frame)));
        }).ToList();
        Assert.Equal(DatasetMetricsKind.UcsdPed2, metrics.Kind);
        Assert.Equal(FrameLevelAuroc.Pooled(frames), metrics.FrameAuroc!.Value, 12);
        Assert.Equal(5.0 / 9, metrics.FrameAuroc.Value, 12); // normals 0.1, 0.5, 0.55 against 0.3, 0.35, 0.6
    }

    [Fact]
    public void Mvtec3d_rgb_and_depth_categories_report_aupro_up_to_fpr_0_3_and_0_01()
    {
        using var dir = new TempDirectory();
        var (rgb, depth) = DatasetSpecificFixtures.PrepareMvtec3d(dir);
        var categories = DatasetSpecificFixtures.Read(rgb, depth);

        var report = DetectorEvaluation.Evaluate(Detector(), categories, overlaysPerSide: 0);

        Assert.Equal(["mvtec_ad_3d/bagel", "mvtec_ad_3d_depth/bagel"], report.Categories.Select(c => c.Metrics.Category));
        foreach (var category in categories)
        {
            var test = category.Test.ToList();
            var pixels = PixelMapSet.FromMaps(test.Select(Map).ToList(),
                test.Select(r => DatasetSpecificFixtures.MaskOf(r).Select(m => m ? (byte)1 : (byte)0).ToArray()).ToList(), Side, Side);
            var expected = PixelMetrics.Compute(pixels, 0.3, 0.01);
            var metrics = Only(report, category.Key).DatasetMetrics!;
            Assert.Equal(DatasetMetricsKind.Mvtec3d, metrics.Kind);
            Assert.Equal(expected.AuproAt(0.3), metrics.Aupro03!.Value, 12);
            Assert.Equal(expected.AuproAt(0.01), metrics.Aupro001!.Value, 12);
            Assert.NotEqual(metrics.Aupro03.Value, metrics.Aupro001.Value, 6);
        }
    }

    [Fact]
    public void Metrics_json_csv_and_markdown_carry_each_categorys_values_under_the_fixed_keys()
    {
        using var dir = new TempDirectory();
        var (rgb, depth) = DatasetSpecificFixtures.PrepareMvtec3d(dir);
        var categories = DatasetSpecificFixtures.Read(DatasetSpecificFixtures.PrepareLoco(dir), DatasetSpecificFixtures.PreparePed2(dir), rgb, depth);
        var reportDir = dir.Combine("report");

        var report = DetectorEvaluation.Evaluate(Detector(), categories, reportDir, overlaysPerSide: 0);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(reportDir, "metrics.json")));
        var csv = File.ReadAllLines(Path.Combine(reportDir, "metrics.csv")).Select(l => l.Split(',')).ToList();
        string[] keys = ["auc_spro_0.05", "image_auroc_logical", "image_auroc_structural", "frame_auroc", "aupro_0.3", "aupro_0.01"];
        Assert.Equal(keys, csv[0].Skip(1 + EvaluationReportWriter.MetricKeys.Length));
        var expectedKeys = new Dictionary<string, string[]>
        {
            ["mvtec_loco/breakfast_box"] = ["auc_spro_0.05", "image_auroc_logical", "image_auroc_structural"],
            ["Ped2/pedestrian"] = ["frame_auroc"],
            ["mvtec_ad_3d/bagel"] = ["aupro_0.3", "aupro_0.01"],
            ["mvtec_ad_3d_depth/bagel"] = ["aupro_0.3", "aupro_0.01"],
        };
        foreach (var (category, present) in expectedKeys)
        {
            var metrics = Only(report, category).DatasetMetrics!;
            var entry = json.RootElement.GetProperty("categories").GetProperty(category);
            var row = csv.Single(r => r[0] == category);
            foreach (var key in keys)
            {
                int column = Array.IndexOf(csv[0], key);
                if (present.Contains(key))
                {
                    Assert.Equal(metrics[key]!.Value, entry.GetProperty(key).GetDouble());
                    Assert.Equal(metrics[key]!.Value, double.Parse(row[column], System.Globalization.CultureInfo.InvariantCulture));
                }
                else
                {
                    Assert.False(entry.TryGetProperty(key, out _), $"{category} has {key}");
                    Assert.Equal("", row[column]);
                }
            }
        }
        var mean = json.RootElement.GetProperty("mean");
        Assert.Equal((Only(report, "mvtec_ad_3d/bagel").DatasetMetrics!.Aupro03!.Value + Only(report, "mvtec_ad_3d_depth/bagel").DatasetMetrics!.Aupro03!.Value) / 2,
            mean.GetProperty("aupro_0.3").GetDouble(), 12);
        Assert.Equal(Only(report, "Ped2/pedestrian").DatasetMetrics!.FrameAuroc!.Value, mean.GetProperty("frame_auroc").GetDouble());
        var markdown = File.ReadAllText(Path.Combine(reportDir, "report.md"));
        Assert.Contains("## Dataset-specific metrics", markdown);
        Assert.Contains("| Ped2/pedestrian | – | – | – | " + (5.0 / 9).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) + " | – | – |", markdown);
    }

    [Fact]
    public void A_plain_mvtec_category_beside_a_loco_one_gets_no_dataset_specific_values()
    {
        using var dir = new TempDirectory();
        var categories = DatasetSpecificFixtures.Read(DatasetSpecificFixtures.PrepareLoco(dir), DatasetSpecificFixtures.PrepareMvtecAd(dir));
        var reportDir = dir.Combine("report");

        var report = DetectorEvaluation.Evaluate(Detector(), categories, reportDir, overlaysPerSide: 0);

        Assert.Null(Only(report, "mvtec_ad/bottle").DatasetMetrics);
        Assert.NotNull(Only(report, "mvtec_loco/breakfast_box").DatasetMetrics);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(reportDir, "metrics.json")));
        var plain = json.RootElement.GetProperty("categories").GetProperty("mvtec_ad/bottle");
        Assert.All(DatasetSpecificMetrics.AllKeys, key => Assert.False(plain.TryGetProperty(key, out _), key));
        Assert.True(json.RootElement.GetProperty("categories").GetProperty("mvtec_loco/breakfast_box").TryGetProperty("auc_spro_0.05", out _));
    }

    [Fact]
    public void A_report_of_plain_categories_only_has_no_dataset_specific_keys_columns_or_table()
    {
        using var dir = new TempDirectory();
        var categories = DatasetSpecificFixtures.Read(DatasetSpecificFixtures.PrepareMvtecAd(dir));
        var reportDir = dir.Combine("report");

        DetectorEvaluation.Evaluate(Detector(), categories, reportDir, overlaysPerSide: 0);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(reportDir, "metrics.json")));
        var mean = json.RootElement.GetProperty("mean");
        Assert.Equal(EvaluationReportWriter.MetricKeys, mean.EnumerateObject().Select(p => p.Name));
        Assert.Equal("category," + string.Join(',', EvaluationReportWriter.MetricKeys), File.ReadLines(Path.Combine(reportDir, "metrics.csv")).First());
        Assert.DoesNotContain("Dataset-specific", File.ReadAllText(Path.Combine(reportDir, "report.md")));
    }
}
