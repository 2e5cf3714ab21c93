using AnomalyMoE.Evaluation;
using Microsoft.Data.Analysis;

namespace AnomalyMoE.Interactive.Tables;

/// <summary>Metrics as Microsoft.Data.Analysis data frames (one row per category or run; pixel metrics null when unavailable).</summary>
public static class MetricsTables
{
    public static readonly string[] MetricColumns = ["I-AUROC", "I-AP", "I-F1max", "P-AUROC", "P-AP", "P-F1max", "AUPRO"];

    /// <summary>One row per category.</summary>
    public static DataFrame FromCategories(IEnumerable<CategoryMetrics> categories, string rowColumn = "category") =>
        Build(categories.Select(c => (c.Category, c)), rowColumn);

    /// <summary>Rows of each category and the mean.</summary>
    public static DataFrame FromSummary(MetricsSummary summary) =>
        Build(summary.Categories.Append(summary.Mean).Select(c => (c.Category, c)), "category");

    /// <summary>One row per named run (e.g. ablation variants), each with its mean metrics.</summary>
    public static DataFrame FromRuns(IEnumerable<(string Run, CategoryMetrics Metrics)> runs, string rowColumn = "run") => Build(runs, rowColumn);

    /// <summary>
    /// Image AUROC by anomaly level (structural, component, logical: the category's normal images against its anomalies of
    /// that level), one row per evaluated run — the breakdown <c>amoe test</c> writes to <c>report.md</c>. A level no run has
    /// (a family without logical anomalies, say) gets no column, so an empty column is not read as a missing result.
    /// </summary>
    public static DataFrame FromLevels(IEnumerable<(string Run, EvaluationReport Report)> runs, string rowColumn = "run")
    {
        var list = runs.ToList();
        var columns = DetectorEvaluation.Levels.Select(level => ($"{level} AUROC", (IReadOnlyList<double?>)list
            .Select(r => r.Report.LevelMeans.TryGetValue(level, out var v) && v is { } x ? Math.Round(x, 4) : (double?)null).ToArray())).ToList();
        var present = columns.Where(c => c.Item2.Any(v => v is not null)).ToList();
        return FromColumns(rowColumn, list.Select(r => r.Run).ToArray(), present.Count > 0 ? present : columns);
    }

    /// <summary>
    /// Per run, the fused model's mean image AUROC beside each expert level's fused alone (<c>expert_levels</c> of
    /// metrics.json); empty cells where a run lacks the level (the baseline has none).
    /// </summary>
    public static DataFrame FromExpertLevels(IEnumerable<(string Run, EvaluationReport Report)> runs, string rowColumn = "run")
    {
        var list = runs.ToList();
        var columns = new List<(string, IReadOnlyList<double?>)> { ("fused image AUROC", list.Select(r => (double?)Math.Round(r.Report.Mean.ImageAuroc, 4)).ToArray()) };
        var means = list.Select(r => r.Report.ExpertLevelMeans.ToDictionary(kv => kv.Key, kv => kv.Value)).ToList();
        foreach (var level in ExpertLevels.All)
        {
            var values = means.Select(m => m.TryGetValue(level, out var v) ? Math.Round(v, 4) : (double?)null).ToArray();
            if (values.Any(v => v is not null)) columns.Add(($"{level} alone", values));
        }
        return FromColumns(rowColumn, list.Select(r => r.Run).ToArray(), columns);
    }

    /// <summary>Named values side by side (e.g. loss terms before and after training): rows are the union of the keys, in first-seen order.</summary>
    public static DataFrame FromValues(string rowColumn, IEnumerable<(string Column, IReadOnlyDictionary<string, double> Values)> columns)
    {
        var list = columns.ToList();
        var rows = list.SelectMany(c => c.Values.Keys).Distinct().ToArray();
        return FromColumns(rowColumn, rows, list.Select(c => (c.Column,
            (IReadOnlyList<double?>)rows.Select(r => c.Values.TryGetValue(r, out var v) ? v : (double?)null).ToArray())));
    }

    /// <summary>A frame with a row-name column and one double column per (name, values) pair.</summary>
    public static DataFrame FromColumns(string rowColumn, IReadOnlyList<string> rows, IEnumerable<(string Name, IReadOnlyList<double?> Values)> columns)
    {
        var frame = new DataFrame(new StringDataFrameColumn(rowColumn, rows));
        foreach (var (name, values) in columns)
        {
            if (values.Count != rows.Count) throw new ArgumentException($"Column '{name}' has {values.Count} values for {rows.Count} rows.");
            frame.Columns.Add(new DoubleDataFrameColumn(name, values));
        }
        return frame;
    }

    static DataFrame Build(IEnumerable<(string Name, CategoryMetrics Metrics)> rows, string rowColumn)
    {
        var list = rows.ToList();
        double?[] Column(Func<CategoryMetrics, double?> f) => list.Select(r => f(r.Metrics) is { } v ? Math.Round(v, 4) : (double?)null).ToArray();
        return FromColumns(rowColumn, list.Select(r => r.Name).ToArray(),
        [
            (MetricColumns[0], Column(m => m.ImageAuroc)),
            (MetricColumns[1], Column(m => m.ImageAp)),
            (MetricColumns[2], Column(m => m.ImageF1Max)),
            (MetricColumns[3], Column(m => m.PixelAuroc)),
            (MetricColumns[4], Column(m => m.PixelAp)),
            (MetricColumns[5], Column(m => m.PixelF1Max)),
            (MetricColumns[6], Column(m => m.PixelAupro)),
        ]);
    }

    /// <summary>The frame as an HTML table (numbers to 4 decimals, empty cells for missing values).</summary>
    public static string ToHtml(DataFrame frame, string? caption = null)
    {
        var html = new System.Text.StringBuilder("<table class=\"amoe-table\">");
        if (caption is not null) html.Append("<caption>").Append(System.Net.WebUtility.HtmlEncode(caption)).Append("</caption>");
        html.Append("<thead><tr>");
        foreach (var column in frame.Columns) html.Append("<th>").Append(System.Net.WebUtility.HtmlEncode(column.Name)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        for (long r = 0; r < frame.Rows.Count; r++)
        {
            html.Append("<tr>");
            foreach (var column in frame.Columns)
            {
                var value = column[r];
                var text = value switch
                {
                    null => "",
                    double d => d.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture),
                    float f => f.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture),
                    _ => value.ToString() ?? "",
                };
                html.Append("<td>").Append(System.Net.WebUtility.HtmlEncode(text)).Append("</td>");
            }
            html.Append("</tr>");
        }
        return html.Append("</tbody></table>").ToString();
    }
}
