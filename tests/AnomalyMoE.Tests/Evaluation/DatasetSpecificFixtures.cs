using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Data;
using AnomalyMoE.Tests.Data.Preparation;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Training;
using SkiaSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Evaluation;

/// <summary>
/// A detector whose maps and scores the test chooses: <paramref name="map"/> gives each record's <c>side × side</c>
/// map (row-major), <paramref name="score"/> its image score.
/// </summary>
sealed class ScriptedDetector(TrainingPreset preset, int side, Func<ImageRecord, float[]> map, Func<ImageRecord, float> score) : IAnomalyDetector
{
    public string Method => "scripted";
    public IReadOnlyList<string> ExpertNames { get; } = [];
    public DetectorSettings Settings { get; } = new(preset.Name, preset.Transform, preset.Scoring, preset.Fusion);

    public AnomalyMoE.Maps.CategoryCalibration Calibrate(IReadOnlyList<ImageRecord> normals, IProgress<ProgressUpdate>? progress = null) =>
        throw new NotSupportedException("Scripted detectors score with set min-max only.");

    public SetPredictions Predict(IReadOnlyList<ImageRecord> records, IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        TorchRuntime.EnsureLoaded();
        var flat = records.SelectMany(r =>
        {
            var m = map(r);
            Assert.Equal(side * side, m.Length);
            return m;
        }).ToArray();
        var maps = tensor(flat, [records.Count, 1, side, side]);
        return new SetPredictions(records, maps, records.Select(score).ToArray(), records.Select(_ => Array.Empty<float>()).ToArray());
    }

    public void Dispose() { }

    /// <summary>The micro preset with a plain resize to <paramref name="resizeTo"/>² (no crop): images of that side stay as they are.</summary>
    public static TrainingPreset PresetFor(int resizeTo) =>
        TrainingPresets.Micro with { Transform = new ImageTransformOptions(resizeTo, resizeTo, ImageNormalization.ImageNet) };

    /// <summary>A reproducible map in [0, 1) per record, higher on <paramref name="hot"/> pixels.</summary>
    public static float[] NoisyMap(ImageRecord record, int side, Func<int, bool> hot)
    {
        var random = new Random(StableHash(record.Dataset + "/" + record.DefectType + "/" + Path.GetFileName(record.Path)));
        return Enumerable.Range(0, side * side).Select(i => (float)(random.NextDouble() * 0.6 + (hot(i) ? 0.3 : 0.0))).ToArray();
    }

    static int StableHash(string text) => text.Aggregate(17, (h, c) => unchecked(h * 31 + c));
}

/// <summary>Tiny benchmarks in their original layouts, prepared with the real <c>data-scripts/prepare</c> pipeline.</summary>
static class DatasetSpecificFixtures
{
    public const int Side = 8;
    public const string LocoCategory = "breakfast_box";

    public const string LocoConfig = """
        [
          {"defect_name": "missing_item", "pixel_value": 255, "saturation_threshold": 3, "relative_saturation": false},
          {"defect_name": "extra_item", "pixel_value": 254, "saturation_threshold": 0.5, "relative_saturation": true},
          {"defect_name": "scratch", "pixel_value": 253, "saturation_threshold": 1.0, "relative_saturation": true}
        ]
        """;

    /// <summary>Region masks of the anomalous LOCO test images: image id → (pixel value, pixel indices) per region.</summary>
    public static readonly IReadOnlyDictionary<(string Defect, string Id), (byte Value, int[] Pixels)[]> LocoRegions =
        new Dictionary<(string, string), (byte, int[])[]>
        {
            [("logical_anomalies", "000")] = [(255, [0, 1, 2, 3, 8, 9, 10, 11]), (254, [36, 37, 44, 45, 52, 53])],
            [("logical_anomalies", "001")] = [(254, [60, 61, 62, 63])],
            [("structural_anomalies", "000")] = [(253, [18, 19, 26, 27])],
            [("structural_anomalies", "001")] = [(253, [40, 48]), (255, [5, 6, 7, 13, 14, 15])],
        };

    static byte[] Values(params (byte Value, int[] Pixels)[] regions)
    {
        var v = new byte[Side * Side];
        foreach (var (value, pixels) in regions) foreach (var p in pixels) v[p] = value;
        return v;
    }

    /// <summary>Prepares an MVTec LOCO category (3 good, 2 logical, 2 structural test images); returns the dataset root.</summary>
    public static string PrepareLoco(TempDirectory dir) => PrepareLoco(dir, LocoRegions, LocoConfig);

    /// <summary>Prepares an MVTec LOCO category with three good test images and the given anomalies; returns the dataset root.</summary>
    public static string PrepareLoco(TempDirectory dir, IReadOnlyDictionary<(string Defect, string Id), (byte Value, int[] Pixels)[]> anomalies, string config)
    {
        var cat = dir.Combine("src-loco", "mvtec_loco_anomaly_detection", LocoCategory);
        MiniFiles.ColorImage(Path.Combine(cat, "train", "good", "000.png"), Side, Side, SKColors.White);
        MiniFiles.ColorImage(Path.Combine(cat, "validation", "good", "000.png"), Side, Side, SKColors.White);
        foreach (var id in new[] { "000", "001", "002" })
            MiniFiles.ColorImage(Path.Combine(cat, "test", "good", id + ".png"), Side, Side, SKColors.White);
        foreach (var ((defect, id), regions) in anomalies)
        {
            MiniFiles.ColorImage(Path.Combine(cat, "test", defect, id + ".png"), Side, Side, SKColors.Red);
            for (int r = 0; r < regions.Length; r++)
                MiniFiles.GrayPng(Path.Combine(cat, "ground_truth", defect, id, $"{r:000}.png"), Side, Side, Values(regions[r]));
        }
        File.WriteAllText(Path.Combine(cat, "defects_config.json"), config);
        PreparationHarness.Prepare("mvtec-loco", dir.Combine("data"), dir.Combine("src-loco"));
        return dir.Combine("data", "mvtec_loco");
    }

    /// <summary>Anomalous frames of the prepared Ped2 (clip, frame) and their mask pixel.</summary>
    public static readonly IReadOnlyList<(string Clip, string Frame)> Ped2AnomalousFrames = [("Test001", "002"), ("Test001", "003"), ("Test002", "002")];

    /// <summary>Prepares UCSD Ped2 with two test clips of three frames; returns the dataset root.</summary>
    public static string PreparePed2(TempDirectory dir)
    {
        var ped2 = dir.Combine("src-ped2", "UCSD_Anomaly_Dataset.v1p2", "UCSDped2");
        foreach (var frame in new[] { "001", "002" })
            MiniFiles.GrayTiff(Path.Combine(ped2, "Train", "Train001", frame + ".tif"), Side, Side, (x, y) => (byte)(x * 10 + y));
        foreach (var clip in new[] { "Test001", "Test002" })
            foreach (var frame in new[] { "001", "002", "003" })
            {
                MiniFiles.GrayTiff(Path.Combine(ped2, "Test", clip, frame + ".tif"), Side, Side, (x, _) => (byte)(100 + x));
                bool anomalous = Ped2AnomalousFrames.Contains((clip, frame));
                MiniFiles.Bmp24(Path.Combine(ped2, "Test", clip + "_gt", frame + ".bmp"), Side, Side, (x, y) => anomalous && x == 3 && y == 2 ? (byte)255 : (byte)0);
            }
        PreparationHarness.Prepare("ped2", dir.Combine("data"), dir.Combine("src-ped2"));
        return dir.Combine("data", "Ped2");
    }

    /// <summary>Prepares MVTec 3D-AD (one category: 2 good, 3 anomalous test images); returns the RGB and the depth root.</summary>
    public static (string Rgb, string Depth) PrepareMvtec3d(TempDirectory dir)
    {
        var cat = dir.Combine("src-3d", "bagel");
        static (float, float, float) Scene(int px, int py)
        {
            float x = (px - Side / 2) * 0.001f, y = (py - Side / 2) * 0.001f;
            bool box = px is >= 3 and < 6 && py is >= 3 and < 6;
            return (x, y, box ? 0.48f : 0.5f);
        }
        void Sample(string split, string defect, string stem, Func<int, int, bool>? defectPixels)
        {
            var folder = Path.Combine(cat, split, defect);
            MiniFiles.ColorImage(Path.Combine(folder, "rgb", stem + ".png"), Side, Side, SKColors.SandyBrown);
            MiniFiles.XyzTiff(Path.Combine(folder, "xyz", stem + ".tiff"), Side, Side, Scene);
            MiniFiles.GrayPng(Path.Combine(folder, "gt", stem + ".png"), Side, Side,
                Enumerable.Range(0, Side * Side).Select(i => defectPixels?.Invoke(i % Side, i / Side) == true ? (byte)255 : (byte)0).ToArray());
        }
        Sample("train", "good", "000", null);
        Sample("test", "good", "000", null);
        Sample("test", "good", "001", null);
        Sample("test", "crack", "000", (x, y) => x == 2 && y < 4);
        Sample("test", "crack", "001", (x, y) => x >= 5 && y >= 5);
        Sample("test", "hole", "000", (x, y) => x + y == 7);
        PreparationHarness.Prepare("mvtec-3d", dir.Combine("data"), dir.Combine("src-3d"));
        return (dir.Combine("data", "mvtec_ad_3d"), dir.Combine("data", "mvtec_ad_3d_depth"));
    }

    /// <summary>Prepares a plain MVTec AD category (2 good, 2 anomalous test images); returns the dataset root.</summary>
    public static string PrepareMvtecAd(TempDirectory dir)
    {
        var cat = dir.Combine("src-ad", "mvtec_anomaly_detection", "bottle");
        MiniFiles.ColorImage(Path.Combine(cat, "train", "good", "000.png"), Side, Side, SKColors.White);
        MiniFiles.ColorImage(Path.Combine(cat, "test", "good", "000.png"), Side, Side, SKColors.White);
        MiniFiles.ColorImage(Path.Combine(cat, "test", "good", "001.png"), Side, Side, SKColors.White);
        foreach (var id in new[] { "000", "001" })
        {
            MiniFiles.ColorImage(Path.Combine(cat, "test", "broken", id + ".png"), Side, Side, SKColors.Red);
            MiniFiles.GrayPng(Path.Combine(cat, "ground_truth", "broken", id + "_mask.png"), Side, Side,
                Enumerable.Range(0, Side * Side).Select(i => i % 9 == int.Parse(id) ? (byte)255 : (byte)0).ToArray());
        }
        PreparationHarness.Prepare("mvtec-ad", dir.Combine("data"), dir.Combine("src-ad"));
        return dir.Combine("data", "mvtec_ad");
    }

    public static IReadOnlyList<CategoryInfo> Read(params string[] roots) =>
        MvtecDatasetReader.Read(roots.Select(r => new DatasetSource(r))).Categories;

    /// <summary>The non-zero pixels of a record's prepared (united) mask; none for a good image.</summary>
    public static bool[] MaskOf(ImageRecord record)
    {
        if (record.MaskPath is null) return new bool[Side * Side];
        var (w, h, values) = MiniFiles.ReadGray(record.MaskPath);
        Assert.Equal((Side, Side), (w, h));
        return values.Select(v => v != 0).ToArray();
    }
}
