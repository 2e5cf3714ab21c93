using AnomalyMoE.Evaluation;
using AnomalyMoE.Tests.Support;
using SkiaSharp;

namespace AnomalyMoE.Tests.Data.Preparation;

public class MvtecLocoConverterTests
{
    const string Config = """
        [
          {"defect_name": "missing_banana", "pixel_value": 255, "saturation_threshold": 4, "relative_saturation": false},
          {"defect_name": "extra_item", "pixel_value": 254, "saturation_threshold": 0.5, "relative_saturation": true},
          {"defect_name": "scratch", "pixel_value": 253, "saturation_threshold": 1.0, "relative_saturation": true}
        ]
        """;

    static byte[] Region(int width, int height, byte value, params int[] pixels)
    {
        var v = new byte[width * height];
        foreach (var p in pixels) v[p] = value;
        return v;
    }

    static string MakeArchive(TempDirectory dir)
    {
        var src = dir.Combine("src", "mvtec_loco_anomaly_detection");
        var cat = Path.Combine(src, "breakfast_box");
        MiniFiles.ColorImage(Path.Combine(cat, "train", "good", "000.png"), 4, 4, SKColors.White);
        MiniFiles.ColorImage(Path.Combine(cat, "validation", "good", "000.png"), 4, 4, SKColors.White);
        MiniFiles.ColorImage(Path.Combine(cat, "test", "good", "000.png"), 4, 4, SKColors.White);
        MiniFiles.ColorImage(Path.Combine(cat, "test", "logical_anomalies", "000.png"), 4, 4, SKColors.Yellow);
        MiniFiles.ColorImage(Path.Combine(cat, "test", "structural_anomalies", "000.png"), 4, 4, SKColors.Red);
        MiniFiles.GrayPng(Path.Combine(cat, "ground_truth", "logical_anomalies", "000", "000.png"), 4, 4, Region(4, 4, 255, 0, 1));
        MiniFiles.GrayPng(Path.Combine(cat, "ground_truth", "logical_anomalies", "000", "001.png"), 4, 4, Region(4, 4, 254, 1, 5, 15));
        MiniFiles.GrayPng(Path.Combine(cat, "ground_truth", "structural_anomalies", "000", "000.png"), 4, 4, Region(4, 4, 253, 10));
        File.WriteAllText(Path.Combine(cat, "defects_config.json"), Config);
        File.WriteAllText(Path.Combine(src, "readme.txt"), "MVTec LOCO");
        return MiniFiles.TarGz(dir.Combine("src"), dir.Combine("loco_mini.tar.gz"));
    }

    [Fact]
    public void Region_masks_are_united_into_one_mask_and_the_originals_kept()
    {
        using var dir = new TempDirectory();

        var result = PreparationHarness.Prepare("mvtec-loco", dir.Combine("data"), MakeArchive(dir));

        var cat = dir.Combine("data", "mvtec_loco", "breakfast_box");
        Assert.Equal(
            ["defects_config.json",
             "ground_truth/logical_anomalies/000/000.png", "ground_truth/logical_anomalies/000/001.png", "ground_truth/logical_anomalies/000_mask.png",
             "ground_truth/structural_anomalies/000/000.png", "ground_truth/structural_anomalies/000_mask.png",
             "test/good/000.png", "test/logical_anomalies/000.png", "test/structural_anomalies/000.png", "train/good/000.png", "validation/good/000.png"],
            MiniFiles.Tree(cat));
        var (_, _, union) = MiniFiles.ReadGray(Path.Combine(cat, "ground_truth", "logical_anomalies", "000_mask.png"));
        var expected = new byte[16];
        foreach (var p in new[] { 0, 1, 5, 15 }) expected[p] = 255;
        Assert.Equal(expected, union);
        Assert.Equal(1, result.Summary.Images("breakfast_box", "validation", "good"));
        Assert.Equal(1, result.Summary.Masks("breakfast_box", "test", "logical_anomalies"));
        Assert.Equal(1, result.Summary.Images("breakfast_box", "test", "structural_anomalies"));
    }

    [Fact]
    public void The_kept_originals_and_config_feed_the_spro_ground_truth()
    {
        using var dir = new TempDirectory();
        PreparationHarness.Prepare("mvtec-loco", dir.Combine("data"), MakeArchive(dir));
        var cat = dir.Combine("data", "mvtec_loco", "breakfast_box");
        var config = LocoDefectsConfig.Load(Path.Combine(cat, "defects_config.json"));

        var gt = LocoGroundTruth.ReadFolder(Path.Combine(cat, "ground_truth", "logical_anomalies", "000"), config);

        Assert.Equal(2, gt.Regions.Count);
        Assert.Equal("missing_banana", gt.Regions[0].Defect.DefectName);
        Assert.Equal(2, gt.Regions[0].Area);
        Assert.Equal("extra_item", gt.Regions[1].Defect.DefectName);
        Assert.Equal(1, gt.Regions[1].Defect.SaturationArea(gt.Regions[1].Area)); // int(0.5 · 3)
    }
}
