using System.Globalization;
using System.Text;
using System.Text.Json;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Evaluation;

/// <summary>The comparison table of an ablation's runs (<c>ablation.md</c>, <c>ablation.csv</c>), one row per run.</summary>
public static class AblationComparison
{
    static string F(double? v) => v is { } x && !double.IsNaN(x) ? x.ToString("0.000", CultureInfo.InvariantCulture) : "–";

    /// <summary>The Markdown table: each run's mean metrics, then its image AUROC per anomaly level.</summary>
    public static string Table(IReadOnlyList<AblationRow> rows)
    {
        var sb = new StringBuilder("| setting | image AUROC | image AP | image F1-max | pixel AUROC | pixel AP | pixel F1-max | AUPRO | ");
        sb.AppendJoin(" | ", DetectorEvaluation.Levels.Select(l => $"{l} AUROC")).Append(" |\n|---|---|---|---|---|---|---|---|")
          .Append(string.Concat(DetectorEvaluation.Levels.Select(_ => "---|"))).Append('\n');
        foreach (var row in rows)
            sb.Append("| ").Append(row.Name).Append(" | ").AppendJoin(" | ", row.Mean.Select(F))
              .Append(" | ").AppendJoin(" | ", DetectorEvaluation.Levels.Select(l => F(row.Level(l)))).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>The same rows as CSV, with full precision.</summary>
    public static string Csv(IReadOnlyList<AblationRow> rows)
    {
        var sb = new StringBuilder("setting," + string.Join(',', EvaluationReportWriter.MetricKeys) + "," + string.Join(',', DetectorEvaluation.Levels.Select(l => $"{l}_image_auroc")) + "\n");
        foreach (var row in rows)
            sb.Append(row.Name).Append(',').AppendJoin(',', row.Mean.Select(v => v?.ToString("R", CultureInfo.InvariantCulture) ?? ""))
              .Append(',').AppendJoin(',', DetectorEvaluation.Levels.Select(l => row.Level(l)?.ToString("R", CultureInfo.InvariantCulture) ?? "")).Append('\n');
        return sb.ToString();
    }
}

/// <summary>One row of the comparison: a run's mean metrics (in <see cref="EvaluationReportWriter.MetricKeys"/> order) and per-level image AUROC.</summary>
public sealed record AblationRow(string Name, IReadOnlyList<double?> Mean, IReadOnlyDictionary<string, double?> Levels)
{
    public double? Level(string level) => Levels.TryGetValue(level, out var v) ? v : null;

    public static AblationRow Of(string name, EvaluationReport report) =>
        new(name, EvaluationReportWriter.Values(report.Mean), report.LevelMeans);

    /// <summary>The row of a run's <c>reports/metrics.json</c> (written by <c>amoe test</c>); an error names a file that does not read.</summary>
    public static AblationRow Read(string name, string metricsPath)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(metricsPath));
            var mean = json.RootElement.GetProperty("mean");
            var values = EvaluationReportWriter.MetricKeys.Select(k => mean.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : (double?)null).ToList();
            var levels = new Dictionary<string, double?>(StringComparer.Ordinal);
            if (json.RootElement.TryGetProperty("levels", out var byLevel))
                foreach (var level in byLevel.EnumerateObject())
                    levels[level.Name] = level.Value.TryGetProperty("image_auroc", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
            return new AblationRow(name, values, levels);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new AnomalyMoEException($"'{metricsPath}' is not a readable amoe test report: {e.Message}", e);
        }
    }
}
