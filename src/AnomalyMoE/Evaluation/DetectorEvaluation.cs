using AnomalyMoE.Data;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Evaluation;

/// <summary>Image AUROC of one anomaly level: the category's normal images against its anomalies of that level.</summary>
public sealed record LevelResult(string Level, double? ImageAuroc, int AnomalousImages);

/// <summary>Everything measured on one category.</summary>
/// <param name="Metrics">Image and (when masks exist) pixel metrics.</param>
/// <param name="RoutingFrequency">Per expert (routing order), the fraction of the category's images that selected it.</param>
/// <param name="DatasetMetrics">The benchmark's own metrics (MVTec LOCO, UCSD Ped2, MVTec 3D-AD); null for other datasets.</param>
/// <param name="ExpertLevelAuroc">Per expert level the run has (<see cref="ExpertLevels"/>), the image AUROC when that
/// level's map alone is fused; empty for the baseline.</param>
/// <param name="Attribution">Each expert level alone against each anomaly level (<see cref="ExpertAttribution"/>); null for the baseline.</param>
/// <param name="Images">Each test image's scores (<c>image_scores.csv</c>).</param>
public sealed record CategoryEvaluation(CategoryMetrics Metrics, int TestImages, int AnomalousImages, IReadOnlyList<LevelResult> Levels,
    IReadOnlyList<double> RoutingFrequency, DatasetSpecificMetrics? DatasetMetrics = null, IReadOnlyDictionary<string, double>? ExpertLevelAuroc = null,
    ExpertAttribution? Attribution = null, IReadOnlyList<ImageScore>? Images = null)
{
    public IReadOnlyDictionary<string, double> ExpertLevelAuroc { get; init; } = ExpertLevelAuroc ?? new Dictionary<string, double>();
    public IReadOnlyList<ImageScore> Images { get; init; } = Images ?? [];
}

/// <summary>The evaluation of a detector on a set of categories.</summary>
/// <param name="LevelMeans">Per anomaly level, the mean over categories that have that level of the level's image AUROC.</param>
/// <param name="RoutingOverall">Per expert, the fraction of all evaluated images that selected it.</param>
/// <param name="Overlays">Overlay PNG files written (relative to the report folder).</param>
public sealed record EvaluationReport(string Method, string Preset, IReadOnlyList<string> ExpertNames, IReadOnlyList<CategoryEvaluation> Categories,
    CategoryMetrics Mean, IReadOnlyDictionary<string, double?> LevelMeans, IReadOnlyList<double> RoutingOverall, IReadOnlyList<string> Overlays)
{
    /// <summary>The evaluated run's switches (<see cref="DetectorSettings.Switches"/>), so a report says what it measured.</summary>
    public IReadOnlyDictionary<string, string> Switches { get; init; } = new Dictionary<string, string>();

    /// <summary>The detector's <see cref="DetectorSettings.Notes"/>.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Per dataset-specific key, the mean over the categories that have it; keys no category has are absent.</summary>
    public IReadOnlyDictionary<string, double> DatasetMetricMeans => DatasetSpecificMetrics.Means(Categories.Select(c => c.DatasetMetrics));

    /// <summary>Per expert level some category has, the mean over those categories of its alone-fused image AUROC, in <see cref="ExpertLevels.All"/> order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> ExpertLevelMeans =>
        ExpertLevels.All.Select(level => (level, values: Categories.Where(c => c.ExpertLevelAuroc.ContainsKey(level)).Select(c => c.ExpertLevelAuroc[level]).ToList()))
            .Where(x => x.values.Count > 0).Select(x => KeyValuePair.Create(x.level, x.values.Average())).ToList();

    /// <summary>
    /// The expert-attribution table averaged over categories: each cell is the mean over the categories where it is
    /// measurable (that expert level exists and the category has anomalies of that level); null for the baseline.
    /// </summary>
    public ExpertAttribution? AttributionMean
    {
        get
        {
            var tables = Categories.Select(c => c.Attribution).OfType<ExpertAttribution>().ToList();
            if (tables.Count == 0) return null;
            var rows = ExpertAttribution.RowOrder.Where(r => tables.Any(t => t.ExpertLevels.Contains(r))).ToList();
            var columns = ExpertAttribution.ColumnOrder;
            var cells = rows.Select(r => columns.Select(c =>
            {
                var values = tables.Where(t => t.ExpertLevels.Contains(r)).Select(t => t[r, c]).OfType<double>().ToList();
                return values.Count == 0 ? (double?)null : values.Average();
            }).ToArray()).ToArray();
            var counts = columns.Select((_, c) => tables.Sum(t => t.AnomalousImages[c])).ToList();
            return new ExpertAttribution(rows, columns, cells, counts);
        }
    }
}

/// <summary>
/// Evaluates a detector category by category (each category is one evaluated set: its maps are normalised together, as
/// test.py does per class), with a breakdown by anomaly level, routing statistics and, for the benchmarks that define
/// their own (<see cref="DatasetMetricsKinds"/>), the dataset-specific metrics; writes the reports.
/// </summary>
public static class DetectorEvaluation
{
    /// <summary>The anomalous levels reported (metadata.csv <c>level</c>).</summary>
    public static IReadOnlyList<string> Levels { get; } = [AnomalyLevels.Structural, AnomalyLevels.Component, AnomalyLevels.Logical];

    public static EvaluationReport Evaluate(IAnomalyDetector detector, IEnumerable<CategoryInfo> categories, string? reportDirectory = null,
        int overlaysPerSide = 2, IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        var results = new List<CategoryEvaluation>();
        var overlays = new List<string>();
        var routingSum = new double[detector.ExpertNames.Count];
        long routedImages = 0;
        var list = categories.ToList();
        int index = 0;
        foreach (var category in list)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var test = category.Test.ToList();
            if (test.Count == 0) throw new AnomalyMoEException($"Category '{category.Key}' has no test images.");
            if (test.All(r => r.Label == 0) || test.All(r => r.Label == 1))
                throw new AnomalyMoEException($"Category '{category.Key}' needs both normal and anomalous test images for the metrics.");
            using var predictions = detector.Predict(test, progress, cancellationToken);
            var labels = test.Select(r => (byte)r.Label).ToArray();
            PixelMapSet? pixels = null;
            if (category.HasPixelMasks) pixels = GroundTruthSet(predictions, detector.Settings.Transform);
            var metrics = CategoryMetrics.Evaluate(category.Key, predictions.Scores, labels, pixels);
            var datasetMetrics = DatasetSpecificEvaluation.Compute(DatasetMetricsKinds.Of(category), category, predictions, pixels, detector.Settings.Transform);
            var levels = Levels.Select(level => LevelAuroc(level, test, predictions.Scores)).ToList();
            var frequency = new double[detector.ExpertNames.Count];
            foreach (var row in predictions.RoutingMask)
            {
                for (int e = 0; e < frequency.Length && e < row.Length; e++) frequency[e] += row[e];
            }
            for (int e = 0; e < frequency.Length; e++)
            {
                routingSum[e] += frequency[e];
                frequency[e] /= Math.Max(1, predictions.RoutingMask.Length);
            }
            routedImages += predictions.RoutingMask.Length;
            var expertLevels = predictions.ExpertLevelScores.ToDictionary(kv => kv.Key, kv => BinaryMetrics.Compute(kv.Value, labels).Auroc, StringComparer.Ordinal);
            var attribution = predictions.ExpertLevelScores.Count == 0 ? null
                : ExpertAttribution.Compute(test.Select(r => r.Label).ToList(), test.Select(ExpertAttribution.LevelOf).ToList(), predictions.ExpertLevelScores);
            results.Add(new CategoryEvaluation(metrics, test.Count, labels.Count(l => l == 1), levels, frequency, datasetMetrics, expertLevels, attribution,
                ImageScore.Of(predictions)));
            if (reportDirectory is not null && overlaysPerSide > 0)
                overlays.AddRange(OverlayWriter.WriteExtremes(reportDirectory, category.Key, predictions, detector.Settings.Transform, overlaysPerSide));
            index++;
            progress.Report("categories", index, list.Count);
        }
        var summary = MetricsSummary.FromCategories(results.Select(r => r.Metrics));
        var levelMeans = Levels.ToDictionary(level => level, level =>
        {
            var values = results.Select(r => r.Levels.First(l => l.Level == level).ImageAuroc).Where(v => v.HasValue).Select(v => v!.Value).ToList();
            return values.Count == 0 ? (double?)null : values.Average();
        });
        var report = new EvaluationReport(detector.Method, detector.Settings.Preset, detector.ExpertNames, results, summary.Mean, levelMeans,
            routingSum.Select(s => s / Math.Max(1, routedImages)).ToArray(), overlays) { Switches = detector.Settings.Switches, Notes = detector.Settings.Notes };
        if (reportDirectory is not null) EvaluationReportWriter.Write(report, reportDirectory);
        return report;
    }

    static LevelResult LevelAuroc(string level, IReadOnlyList<ImageRecord> test, float[] scores)
    {
        var pick = Enumerable.Range(0, test.Count).Where(i => test[i].Label == 0 || test[i].Level == level).ToArray();
        int anomalous = pick.Count(i => test[i].Label == 1);
        if (anomalous == 0 || anomalous == pick.Length) return new LevelResult(level, null, anomalous);
        var s = pick.Select(i => scores[i]).ToArray();
        var l = pick.Select(i => (byte)test[i].Label).ToArray();
        return new LevelResult(level, BinaryMetrics.Compute(s, l).Auroc, anomalous);
    }

    /// <summary>The ground-truth masks at the maps' resolution (nearest), paired with the maps.</summary>
    /// <summary>A set's fused maps with each image's ground-truth mask at map resolution, for the pixel metrics.</summary>
    public static PixelMapSet GroundTruthSet(SetPredictions predictions, ImageTransformOptions transform)
    {
        int n = predictions.Records.Count;
        int side = (int)predictions.Maps.shape[2];
        var maskBytes = new byte[(long)n * side * side];
        for (int i = 0; i < n; i++)
            MapResolutionMasks.Load(predictions.Records[i].MaskPath, transform, side).CopyTo(maskBytes, (long)i * side * side);
        return new PixelMapSet(predictions.Maps.contiguous().data<float>().ToArray(), maskBytes, n, side, side);
    }
}
