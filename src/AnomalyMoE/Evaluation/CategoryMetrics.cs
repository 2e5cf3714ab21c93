using AnomalyMoE.Runtime;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// The metrics of one category. Pixel metrics are null when the category has no ground-truth masks
/// (image-level-only datasets): not available, never zero.
/// </summary>
public sealed record CategoryMetrics(
    string Category,
    double ImageAuroc,
    double ImageAp,
    double ImageF1Max,
    double? PixelAuroc = null,
    double? PixelAp = null,
    double? PixelF1Max = null,
    double? PixelAupro = null)
{
    /// <summary>
    /// Evaluates one category: image scores against image labels (0 normal, 1 anomalous) and, when
    /// <paramref name="pixels"/> is given, the anomaly maps against their masks (AUPRO at <paramref name="auproLimit"/>).
    /// </summary>
    public static CategoryMetrics Evaluate(string category, ReadOnlySpan<float> imageScores, ReadOnlySpan<byte> imageLabels,
        PixelMapSet? pixels = null, double auproLimit = PixelMetrics.DefaultAuproLimit)
    {
        BinaryMetrics image;
        PixelMetrics? pixel;
        try
        {
            image = BinaryMetrics.Compute(imageScores, imageLabels);
            pixel = pixels is null ? null : PixelMetrics.Compute(pixels, auproLimit);
        }
        catch (AnomalyMoEException e)
        {
            throw new AnomalyMoEException($"Category '{category}': {e.Message}", e);
        }
        return new CategoryMetrics(category, image.Auroc, image.AveragePrecision, image.F1Max,
            pixel?.Auroc, pixel?.AveragePrecision, pixel?.F1Max, pixel?.AuproAt(auproLimit));
    }
}

/// <summary>
/// Per-category metrics and their mean over categories. Each mean is over the categories where that
/// metric is available; a pixel mean is null when no category has masks.
/// </summary>
public sealed record MetricsSummary(IReadOnlyList<CategoryMetrics> Categories, CategoryMetrics Mean)
{
    public const string MeanName = "mean";

    public static MetricsSummary FromCategories(IEnumerable<CategoryMetrics> categories)
    {
        var list = categories.ToArray();
        if (list.Length == 0) throw new AnomalyMoEException("No category results to summarise.");
        var duplicate = list.GroupBy(c => c.Category).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new AnomalyMoEException($"Category '{duplicate.Key}' appears {duplicate.Count()} times in the results.");
        var mean = new CategoryMetrics(MeanName,
            list.Average(c => c.ImageAuroc),
            list.Average(c => c.ImageAp),
            list.Average(c => c.ImageF1Max),
            MeanOfAvailable(list, c => c.PixelAuroc),
            MeanOfAvailable(list, c => c.PixelAp),
            MeanOfAvailable(list, c => c.PixelF1Max),
            MeanOfAvailable(list, c => c.PixelAupro));
        return new MetricsSummary(list, mean);
    }

    static double? MeanOfAvailable(CategoryMetrics[] list, Func<CategoryMetrics, double?> metric)
    {
        var values = list.Select(metric).Where(v => v.HasValue).Select(v => v!.Value).ToArray();
        return values.Length == 0 ? null : values.Average();
    }
}
