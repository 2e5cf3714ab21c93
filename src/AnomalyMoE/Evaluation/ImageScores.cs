using System.Globalization;
using System.Text;
using AnomalyMoE.Data;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// One evaluated test image as <c>image_scores.csv</c> lists it: what it is (label, defect type, anomaly level), the fused
/// score, the calibrated decision where there is a threshold, and the score each expert level gives alone
/// (<see cref="SetPredictions.ExpertLevelScores"/>), so a fusion rule or a per-level study can be worked out from the
/// report without running the model again.
/// </summary>
public sealed record ImageScore(ImageRecord Record, double Score, bool? Anomalous, IReadOnlyDictionary<string, double> LevelScores)
{
    /// <summary>Every image of <paramref name="predictions"/>, in evaluation order.</summary>
    public static IReadOnlyList<ImageScore> Of(SetPredictions predictions)
    {
        var anomalous = predictions.Anomalous;
        return predictions.Records.Select((r, i) => new ImageScore(r, predictions.Scores[i], anomalous?[i],
            predictions.ExpertLevelScores.ToDictionary(kv => kv.Key, kv => (double)kv.Value[i], StringComparer.Ordinal))).ToList();
    }

    /// <summary>
    /// The CSV of <paramref name="categories"/>' images: <c>category,path,label,defect_type,anomaly_level,score</c>, then
    /// <c>anomalous</c> when some category has a threshold and one <c>&lt;level&gt;_score</c> column per expert level some image has
    /// (empty where a category lacks it).
    /// </summary>
    public static string ToCsv(IEnumerable<CategoryEvaluation> categories)
    {
        var list = categories.ToList();
        var images = list.SelectMany(c => c.Images).ToList();
        bool decided = images.Any(i => i.Anomalous is not null);
        var levels = ExpertLevels.All.Where(l => images.Any(i => i.LevelScores.ContainsKey(l))).ToList();
        var sb = new StringBuilder("category,path,label,defect_type,anomaly_level,score");
        if (decided) sb.Append(",anomalous");
        foreach (var level in levels) sb.Append(',').Append(level).Append("_score");
        sb.Append('\n');
        foreach (var image in images)
        {
            var r = image.Record;
            sb.Append(Field(r.CategoryKey)).Append(',').Append(Field(r.Path)).Append(',').Append(r.Label.ToString(CultureInfo.InvariantCulture))
              .Append(',').Append(Field(r.DefectType)).Append(',').Append(Field(r.Level ?? "")).Append(',').Append(Number(image.Score));
            if (decided) sb.Append(',').Append(image.Anomalous switch { true => "true", false => "false", null => "" });
            foreach (var level in levels) sb.Append(',').Append(image.LevelScores.TryGetValue(level, out var s) ? Number(s) : "");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>RFC 4180 quoting where a field holds a comma, a quote or a line break.</summary>
    static string Field(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
