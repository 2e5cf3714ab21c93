using AnomalyMoE.Data;
using AnomalyMoE.Data.Preparation;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Interactive.Tables;
using AnomalyMoE.Runtime;
using AnomalyMoE.Synthetic;
using static TorchSharp.torch;

namespace AnomalyMoE.Interactive.Domains;

/// <summary>
/// MVTec 3D-AD views (notebook 03): each test image beside its depth map, and the RGB-only, depth-only and combined results
/// with AUPRO at the benchmark's two false-positive limits, 0.3 and 0.01.
/// </summary>
public static class ThreeDViews
{
    /// <summary>
    /// The dataset root of the depth maps beside <paramref name="rgb"/>'s images: the synthetic <c>3d-depth</c> family
    /// generated with the <c>3d</c> one, or <c>mvtec_ad_3d_depth</c> beside the prepared <c>mvtec_ad_3d</c>.
    /// </summary>
    public static string DepthRootOf(NotebookStudy rgb)
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(rgb.DataRoot)) ?? rgb.DataRoot;
        var folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(rgb.DataRoot));
        var depth = rgb.UsesRealData
            ? Path.Combine(parent, string.Equals(folder, Mvtec3dConverter.RgbFolder, StringComparison.Ordinal) ? Mvtec3dConverter.DepthFolder : folder + "_depth")
            : Path.Combine(parent, SyntheticFamilies.DepthRoot);
        return Directory.Exists(depth)
            ? depth
            : throw new AnomalyMoEException($"No depth maps beside '{rgb.DataRoot}': expected the folder '{depth}' " +
                                            $"(data-scripts/prepare mvtec-3d writes {Mvtec3dConverter.RgbFolder} and {Mvtec3dConverter.DepthFolder} side by side).");
    }

    /// <summary>A few test images, each beside its depth map (contrast-stretched per image), ground truth outlined on both.</summary>
    public static NotebookView RgbAndDepth(NotebookStudy rgb, NotebookStudy depth, int normal = 1, int anomalous = 3)
    {
        var records = rgb.TestSamples(normal, anomalous);
        var depthRecords = records.Select(r => Match(r, depth.Category.Test.ToList(), depth.DataRoot)).ToList();
        using var rgbBatch = rgb.LoadBatch(records);
        using var depthBatch = depth.LoadBatch(depthRecords);
        var panels = rgbBatch.Panels().Zip(depthBatch.Panels(), (image, map) => new[]
        {
            image with { Title = $"{image.Title} (RGB)" },
            map with { Title = $"{map.Title} (depth)", Rgb = Stretch(map.Rgb) },
        }).SelectMany(p => p).ToList();
        return new NotebookView("rgb-and-depth", "Each image beside its depth map",
            new MapGallery(panels, $"{rgb.CategoryName}: RGB and depth, defects outlined", Columns: 4),
            "Depth is the distance to the camera, darker = nearer, stretched per image. A dent or a bump can be invisible in colour " +
            "and plain in depth, a stain the other way round: that is why the benchmark gives both.");
    }

    /// <summary>
    /// Image AUROC, pixel AUROC and AUPRO at 0.3 and 0.01 of the RGB run, the depth run and their combination: the sum of the
    /// two runs' maps and image scores per image (late fusion; both are calibrated on normal images, so their scales agree).
    /// </summary>
    public static NotebookView Modalities(StudyEvaluation rgb, StudyEvaluation depth, ImageTransformOptions transform, bool hasPixelMasks = true)
    {
        var depthIndex = depth.Predictions.Records.Select((r, i) => (Key(r), i)).ToDictionary(x => x.Item1, x => x.i, StringComparer.Ordinal);
        var order = rgb.Predictions.Records.Select(r => depthIndex.TryGetValue(Key(r), out var i) ? i
            : throw new AnomalyMoEException($"The depth run has no image matching '{r.Path}'.")).ToArray();
        using var positions = tensor(order.Select(i => (long)i).ToArray());
        using var depthMaps = depth.Predictions.Maps.index_select(0, positions);
        var scores = rgb.Scores.Select((s, i) => s + depth.Scores[order[i]]).ToArray();
        using var combined = new SetPredictions(rgb.Predictions.Records, rgb.Predictions.Maps + depthMaps, scores, []);

        var rows = new[] { ($"{rgb.Name} (RGB)", rgb.Predictions), ($"{depth.Name} (depth)", depth.Predictions), ("RGB + depth", combined) };
        var metrics = rows.Select(r => Metrics(r.Item2, transform, hasPixelMasks)).ToList();
        var frame = MetricsTables.FromColumns("input", rows.Select(r => r.Item1).ToArray(),
        [
            ("I-AUROC", metrics.Select(m => (double?)m.Image).ToArray()),
            ("P-AUROC", metrics.Select(m => m.Pixel).ToArray()),
            ("AUPRO@0.3", metrics.Select(m => m.Aupro03).ToArray()),
            ("AUPRO@0.01", metrics.Select(m => m.Aupro001).ToArray()),
        ]);
        return new NotebookView("rgb-depth-results", "RGB only, depth only, and both", frame,
            "MVTec 3D-AD reports AUPRO up to a false-positive rate of 0.3, as MVTec AD does, and also up to 0.01: at 0.01 only maps " +
            "that flag the defect while keeping almost every normal pixel quiet score well, which is what an inspection line needs.");
    }

    /// <summary>Image AUROC and, with masks, pixel AUROC and AUPRO at 0.3 and 0.01 of one set of predictions.</summary>
    public static (double Image, double? Pixel, double? Aupro03, double? Aupro001) Metrics(SetPredictions predictions, ImageTransformOptions transform, bool hasPixelMasks)
    {
        var labels = predictions.Records.Select(r => (byte)r.Label).ToArray();
        var image = Math.Round(BinaryMetrics.Compute(predictions.Scores, labels).Auroc, 4);
        if (!hasPixelMasks) return (image, null, null, null);
        var pixel = PixelMetrics.Compute(DetectorEvaluation.GroundTruthSet(predictions, transform), Mvtec3dAupro.FprLimits);
        return (image, Math.Round(pixel.Auroc, 4), Math.Round(pixel.AuproAt(0.3), 4), Math.Round(pixel.AuproAt(0.01), 4));
    }

    /// <summary>Gray values stretched to [0, 1] over the image (depth maps span a narrow band of the 16-bit range).</summary>
    public static float[] Stretch(float[] rgb)
    {
        var gray = MedicalViews.Gray(rgb);
        float min = gray.Min(), max = gray.Max(), span = Math.Max(max - min, 1e-6f);
        return gray.Select(v => (v - min) / span).ToArray();
    }

    static string Key(ImageRecord record) => $"{record.DefectType}/{Path.GetFileNameWithoutExtension(record.Path)}";

    static ImageRecord Match(ImageRecord record, IReadOnlyList<ImageRecord> candidates, string root) =>
        candidates.FirstOrDefault(c => Key(c) == Key(record))
        ?? throw new AnomalyMoEException($"The depth dataset '{root}' has no image matching '{record.Path}'.");
}
