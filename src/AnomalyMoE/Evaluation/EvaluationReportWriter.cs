using AnomalyMoE.Runtime;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AnomalyMoE.Data;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// Writes an <see cref="EvaluationReport"/> as <c>metrics.json</c>, <c>metrics.csv</c>, <c>report.md</c> and
/// <c>image_scores.csv</c> (<see cref="ImageScore.ToCsv"/>).
/// metrics.json keys (documented in the README): <c>method</c>, <c>preset</c>, <c>experts</c>,
/// <c>categories.&lt;dataset/category&gt;</c> with <c>image_auroc</c>, <c>image_ap</c>, <c>image_f1_max</c>, <c>pixel_auroc</c>,
/// <c>pixel_ap</c>, <c>pixel_f1_max</c>, <c>pixel_aupro</c> (null when the dataset has no masks), <c>test_images</c>,
/// <c>anomalous_images</c>, <c>levels.&lt;level&gt;.image_auroc</c> and <c>.anomalous_images</c>, <c>routing_frequency.&lt;expert&gt;</c>,
/// <c>expert_levels.&lt;patch|global|component&gt;.image_auroc</c> (AnomalyMoE only: each expert level's map fused alone),
/// and only for the benchmarks that define them the <see cref="DatasetSpecificMetrics"/> keys (<c>auc_spro_0.05</c>,
/// <c>image_auroc_logical</c>, <c>image_auroc_structural</c> for MVTec LOCO; <c>frame_auroc</c> for UCSD Ped2; <c>aupro_0.3</c>,
/// <c>aupro_0.01</c> for MVTec 3D-AD); <c>mean</c> with the seven metric keys and each dataset-specific key some category has;
/// <c>levels.&lt;level&gt;</c> and <c>expert_levels.&lt;level&gt;</c> (means over categories); <c>routing_frequency</c> (all images). The CSV gets a column per
/// dataset-specific key present in the report, the Markdown a table of them.
/// </summary>
public static class EvaluationReportWriter
{
    public static readonly string[] MetricKeys = ["image_auroc", "image_ap", "image_f1_max", "pixel_auroc", "pixel_ap", "pixel_f1_max", "pixel_aupro"];

    public static void Write(EvaluationReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.WriteText(Path.Combine(directory, "metrics.json"), ToJson(report));
        AtomicFile.WriteText(Path.Combine(directory, "metrics.csv"), ToCsv(report));
        AtomicFile.WriteText(Path.Combine(directory, "report.md"), ToMarkdown(report));
        AtomicFile.WriteText(Path.Combine(directory, "image_scores.csv"), ImageScore.ToCsv(report.Categories));
    }

    public static double?[] Values(CategoryMetrics m) =>
        [m.ImageAuroc, m.ImageAp, m.ImageF1Max, m.PixelAuroc, m.PixelAp, m.PixelF1Max, m.PixelAupro];

    static Dictionary<string, object?> MetricObject(CategoryMetrics m) =>
        MetricKeys.Zip(Values(m), (k, v) => (k, v)).ToDictionary(p => p.k, p => (object?)p.v);

    static Dictionary<string, object?> MeanObject(EvaluationReport report)
    {
        var mean = MetricObject(report.Mean);
        foreach (var (key, value) in report.DatasetMetricMeans) mean[key] = value;
        return mean;
    }

    /// <summary>The dataset-specific keys some category of the report has, in <see cref="DatasetSpecificMetrics.AllKeys"/> order.</summary>
    public static IReadOnlyList<string> DatasetMetricKeys(EvaluationReport report)
    {
        var present = report.Categories.Where(c => c.DatasetMetrics is not null)
            .SelectMany(c => DatasetSpecificMetrics.KeysOf(c.DatasetMetrics!.Kind)).ToHashSet(StringComparer.Ordinal);
        return DatasetSpecificMetrics.AllKeys.Where(present.Contains).ToList();
    }

    public static string ToJson(EvaluationReport report)
    {
        var categories = new Dictionary<string, object?>();
        foreach (var c in report.Categories)
        {
            var entry = MetricObject(c.Metrics);
            foreach (var (key, value) in c.DatasetMetrics?.Values ?? []) entry[key] = value;
            entry["test_images"] = c.TestImages;
            entry["anomalous_images"] = c.AnomalousImages;
            entry["levels"] = c.Levels.ToDictionary(l => l.Level, l => (object)new Dictionary<string, object?> { ["image_auroc"] = l.ImageAuroc, ["anomalous_images"] = l.AnomalousImages });
            entry["routing_frequency"] = report.ExpertNames.Zip(c.RoutingFrequency).ToDictionary(p => p.First, p => p.Second);
            if (c.ExpertLevelAuroc.Count > 0)
                entry["expert_levels"] = ExpertLevels.All.Where(c.ExpertLevelAuroc.ContainsKey)
                    .ToDictionary(l => l, l => (object)new Dictionary<string, object?> { ["image_auroc"] = c.ExpertLevelAuroc[l] });
            if (c.Attribution is { } attribution) entry["attribution"] = AttributionObject(attribution);
            categories[c.Metrics.Category] = entry;
        }
        var root = new Dictionary<string, object?>
        {
            ["method"] = report.Method,
            ["preset"] = report.Preset,
            ["experts"] = report.ExpertNames,
            ["switches"] = report.Switches,
            ["notes"] = report.Notes,
            ["categories"] = categories,
            ["mean"] = MeanObject(report),
            ["levels"] = report.LevelMeans.ToDictionary(kv => kv.Key, kv => (object?)new Dictionary<string, object?> { ["image_auroc"] = kv.Value }),
            ["routing_frequency"] = report.ExpertNames.Zip(report.RoutingOverall).ToDictionary(p => p.First, p => p.Second),
            ["overlays"] = report.Overlays,
        };
        if (report.ExpertLevelMeans.Count > 0)
            root["expert_levels"] = report.ExpertLevelMeans.ToDictionary(kv => kv.Key, kv => (object?)new Dictionary<string, object?> { ["image_auroc"] = kv.Value });
        if (report.AttributionMean is { } meanAttribution)
            root["attribution"] = AttributionObject(meanAttribution);
        return JsonSerializer.Serialize(root, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary><c>attribution.&lt;expert level&gt;.&lt;anomaly level&gt;</c>: that expert level's alone image AUROC on that anomaly level.</summary>
    static Dictionary<string, object?> AttributionObject(ExpertAttribution table) =>
        table.ExpertLevels.Select((row, r) => (row, r)).ToDictionary(x => x.row,
            x => (object?)table.AnomalyLevels.Select((column, c) => (column, c)).ToDictionary(y => y.column, y => table.Auroc[x.r][y.c]));

    public static string ToCsv(EvaluationReport report)
    {
        var datasetKeys = DatasetMetricKeys(report);
        static string Cell(double? v) => v?.ToString("R", CultureInfo.InvariantCulture) ?? "";
        var sb = new StringBuilder("category," + string.Join(',', MetricKeys.Concat(datasetKeys)) + "\n");
        foreach (var c in report.Categories)
            sb.Append(c.Metrics.Category).Append(',').AppendJoin(',', Values(c.Metrics).Concat(datasetKeys.Select(k => c.DatasetMetrics?[k])).Select(Cell)).Append('\n');
        var means = report.DatasetMetricMeans;
        sb.Append(report.Mean.Category).Append(',')
          .AppendJoin(',', Values(report.Mean).Concat(datasetKeys.Select(k => means.TryGetValue(k, out var v) ? v : (double?)null)).Select(Cell)).Append('\n');
        return sb.ToString();
    }

    static string F(double? v) => v is { } x ? x.ToString("0.000", CultureInfo.InvariantCulture) : "–";

    /// <summary>The per-category metric table in Markdown (also printed by the CLI).</summary>
    public static string MetricsTable(EvaluationReport report)
    {
        var sb = new StringBuilder();
        sb.Append("| category | image AUROC | image AP | image F1-max | pixel AUROC | pixel AP | pixel F1-max | AUPRO |\n");
        sb.Append("|---|---|---|---|---|---|---|---|\n");
        foreach (var m in report.Categories.Select(c => c.Metrics).Append(report.Mean))
            sb.Append("| ").Append(m.Category == MetricsSummary.MeanName ? "**mean**" : m.Category).Append(" | ")
              .AppendJoin(" | ", Values(m).Select(F)).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>Column titles of the dataset-specific keys.</summary>
    public static IReadOnlyDictionary<string, string> DatasetMetricTitles { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [DatasetSpecificMetrics.AucSproKey] = "AUC-sPRO (FPR 0.05)",
        [DatasetSpecificMetrics.ImageAurocLogicalKey] = "image AUROC logical",
        [DatasetSpecificMetrics.ImageAurocStructuralKey] = "image AUROC structural",
        [DatasetSpecificMetrics.FrameAurocKey] = "frame AUROC",
        [DatasetSpecificMetrics.Aupro03Key] = "AUPRO (FPR 0.3)",
        [DatasetSpecificMetrics.Aupro001Key] = "AUPRO (FPR 0.01)",
    };

    /// <summary>
    /// The dataset-specific metrics in Markdown (also printed by the CLI): one row per category that has them, a column
    /// per key present, and the mean over the categories with a value; empty when no category has any.
    /// </summary>
    public static string DatasetMetricsTable(EvaluationReport report)
    {
        var keys = DatasetMetricKeys(report);
        if (keys.Count == 0) return "";
        var sb = new StringBuilder("| category | ").AppendJoin(" | ", keys.Select(k => DatasetMetricTitles[k])).Append(" |\n|---|")
            .Append(string.Concat(keys.Select(_ => "---|"))).Append('\n');
        foreach (var c in report.Categories.Where(c => c.DatasetMetrics is not null))
            sb.Append("| ").Append(c.Metrics.Category).Append(" | ").AppendJoin(" | ", keys.Select(k => F(c.DatasetMetrics![k]))).Append(" |\n");
        var means = report.DatasetMetricMeans;
        sb.Append("| **mean** | ").AppendJoin(" | ", keys.Select(k => F(means.TryGetValue(k, out var v) ? v : null))).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>
    /// Image AUROC of each expert level's map fused alone, beside the fused model's: one row per category and the mean;
    /// empty for detectors without expert levels.
    /// </summary>
    public static string ExpertLevelTable(EvaluationReport report)
    {
        var levels = report.ExpertLevelMeans.Select(kv => kv.Key).ToList();
        if (levels.Count == 0) return "";
        var sb = new StringBuilder("| category | fused | ").AppendJoin(" | ", levels).Append(" |\n|---|---|")
            .Append(string.Concat(levels.Select(_ => "---|"))).Append('\n');
        foreach (var c in report.Categories)
            sb.Append("| ").Append(c.Metrics.Category).Append(" | ").Append(F(c.Metrics.ImageAuroc)).Append(" | ")
              .AppendJoin(" | ", levels.Select(l => F(c.ExpertLevelAuroc.TryGetValue(l, out var v) ? v : null))).Append(" |\n");
        sb.Append("| **mean** | ").Append(F(report.Mean.ImageAuroc)).Append(" | ").AppendJoin(" | ", report.ExpertLevelMeans.Select(kv => F(kv.Value))).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>
    /// The expert-attribution table (mean over categories): image AUROC of each expert level alone, rows, on each anomaly
    /// level, columns, so a reader sees which level catches which kind; empty for detectors without expert levels.
    /// </summary>
    public static string AttributionTable(EvaluationReport report)
    {
        if (report.AttributionMean is not { } table) return "";
        var sb = new StringBuilder("| expert level alone | ").AppendJoin(" | ", table.AnomalyLevels.Select((l, c) => $"{l} ({table.AnomalousImages[c]} images)"))
            .Append(" |\n|---|").Append(string.Concat(table.AnomalyLevels.Select(_ => "---|"))).Append('\n');
        for (int r = 0; r < table.ExpertLevels.Count; r++)
            sb.Append("| ").Append(table.ExpertLevels[r]).Append(" | ").AppendJoin(" | ", table.Auroc[r].Select(F)).Append(" |\n");
        return sb.ToString();
    }

    public static string ToMarkdown(EvaluationReport report)
    {
        var sb = new StringBuilder();
        sb.Append($"# Evaluation: {report.Method} ({report.Preset})\n\n");
        if (report.Switches.Count > 0)
            sb.Append("Switches: ").AppendJoin(", ", report.Switches.Select(kv => $"{kv.Key} {kv.Value}")).Append(".\n\n");
        foreach (var note in report.Notes) sb.Append("Note: ").Append(note).Append("\n\n");
        sb.Append(MetricsTable(report)).Append('\n');
        if (DatasetMetricsTable(report) is { Length: > 0 } datasetTable)
            sb.Append("## Dataset-specific metrics\n\n").Append(datasetTable).Append('\n');
        sb.Append("## Image AUROC by anomaly level\n\n| category | ").AppendJoin(" | ", DetectorEvaluation.Levels).Append(" |\n|---|")
          .Append(string.Concat(DetectorEvaluation.Levels.Select(_ => "---|"))).Append('\n');
        foreach (var c in report.Categories)
            sb.Append("| ").Append(c.Metrics.Category).Append(" | ").AppendJoin(" | ", c.Levels.Select(l => F(l.ImageAuroc))).Append(" |\n");
        sb.Append("| **mean** | ").AppendJoin(" | ", DetectorEvaluation.Levels.Select(l => F(report.LevelMeans[l]))).Append(" |\n\n");
        if (ExpertLevelTable(report) is { Length: > 0 } expertTable)
            sb.Append("## Image AUROC of each expert level fused alone\n\n").Append(expertTable).Append('\n');
        if (AttributionTable(report) is { Length: > 0 } attribution)
            sb.Append("## Expert attribution: each expert level alone on each anomaly level (mean over categories)\n\n").Append(attribution).Append('\n');
        if (report.ExpertNames.Count > 0)
        {
            sb.Append("## Routing: fraction of images selecting each expert\n\n| category | ").AppendJoin(" | ", report.ExpertNames).Append(" |\n|---|")
              .Append(string.Concat(report.ExpertNames.Select(_ => "---|"))).Append('\n');
            foreach (var c in report.Categories)
                sb.Append("| ").Append(c.Metrics.Category).Append(" | ").AppendJoin(" | ", c.RoutingFrequency.Select(v => F(v))).Append(" |\n");
            sb.Append("| **all** | ").AppendJoin(" | ", report.RoutingOverall.Select(v => F(v))).Append(" |\n\n");
        }
        if (report.Overlays.Count > 0)
        {
            sb.Append("## Highest- and lowest-scoring test images\n\n");
            foreach (var o in report.Overlays) sb.Append($"![{o}]({o})\n");
        }
        return sb.ToString();
    }
}

/// <summary>PNG overlays: the image (as the detector saw it), its anomaly map as a heat overlay, and the ground truth outlined.</summary>
public static class OverlayWriter
{
    /// <summary>Writes the <paramref name="perSide"/> highest- and lowest-scoring images of a set; returns the relative paths.</summary>
    public static IReadOnlyList<string> WriteExtremes(string reportDirectory, string categoryKey, SetPredictions predictions,
        ImageTransformOptions transform, int perSide)
    {
        var order = Enumerable.Range(0, predictions.Scores.Length).OrderByDescending(i => predictions.Scores[i]).ToList();
        var picks = order.Take(perSide).Select(i => (i, "high")).Concat(order.AsEnumerable().Reverse().Take(perSide).Select(i => (i, "low"))).Distinct().ToList();
        var folder = Path.Combine(reportDirectory, "overlays");
        Directory.CreateDirectory(folder);
        float min = predictions.Maps.min().item<float>(), max = predictions.Maps.max().item<float>();
        var written = new List<string>();
        foreach (var (i, side) in picks)
        {
            var record = predictions.Records[i];
            var name = $"{categoryKey.Replace('/', '_')}_{side}_{Path.GetFileNameWithoutExtension(record.Path)}_{record.DefectType}.png";
            Write(Path.Combine(folder, name), record, predictions.Maps[i, 0], transform, min, max);
            written.Add($"overlays/{name}");
        }
        return written;
    }

    /// <summary>One overlay PNG of an image and its map <c>[R,R]</c>, the map scaled from [min, max].</summary>
    public static void Write(string path, ImageRecord record, Tensor map, ImageTransformOptions transform, float min, float max)
    {
        using var scope = NewDisposeScope();
        int side = (int)map.shape[0];
        var image = ImageTransforms.LoadImage(record.Path, transform).unsqueeze(0);
        var mean = tensor(transform.Normalization.Mean).view(1, 3, 1, 1);
        var std = tensor(transform.Normalization.Std).view(1, 3, 1, 1);
        var rgb = nn.functional.interpolate(image * std + mean, [side, side], mode: InterpolationMode.Bilinear, align_corners: false)
            .clamp(0, 1)[0].permute(1, 2, 0).contiguous().data<float>().ToArray();
        var heat = ((map.cpu() - min) / Math.Max(max - min, 1e-12f)).clamp(0, 1).contiguous().data<float>().ToArray();
        byte[]? mask = null;
        if (record.MaskPath is not null)
        {
            var m = ImageTransforms.LoadMask(record.MaskPath, transform).unsqueeze(0);
            mask = nn.functional.interpolate(m, [side, side], mode: InterpolationMode.Nearest).gt(0.5f).to_type(ScalarType.Byte).data<byte>().ToArray();
        }
        using var bitmap = new SKBitmap(new SKImageInfo(side * 2, side, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
        {
            int p = y * side + x;
            byte r = (byte)(rgb[p * 3] * 255), g = (byte)(rgb[p * 3 + 1] * 255), b = (byte)(rgb[p * 3 + 2] * 255);
            bitmap.SetPixel(x, y, new SKColor(r, g, b));
            var (hr, hg, hb) = Jet(heat[p]);
            var blend = new SKColor((byte)(0.5 * r + 0.5 * hr), (byte)(0.5 * g + 0.5 * hg), (byte)(0.5 * b + 0.5 * hb));
            bool edge = mask is not null && mask[p] != 0 && (x == 0 || y == 0 || x == side - 1 || y == side - 1
                || mask[p - 1] == 0 || mask[p + 1] == 0 || mask[p - side] == 0 || mask[p + side] == 0);
            bitmap.SetPixel(side + x, y, edge ? new SKColor(0, 255, 0) : blend);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, data.ToArray());
    }

    static (byte R, byte G, byte B) Jet(float v)
    {
        static byte C(double x) => (byte)(255 * Math.Clamp(x, 0, 1));
        return (C(1.5 - Math.Abs(4 * v - 3)), C(1.5 - Math.Abs(4 * v - 2)), C(1.5 - Math.Abs(4 * v - 1)));
    }
}
