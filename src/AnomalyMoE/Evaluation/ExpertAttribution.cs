using AnomalyMoE.Data;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// Which expert level catches which kind of anomaly: for each expert level, the image AUROC of its map fused alone
/// (<see cref="SetPredictions.ExpertLevelScores"/>) on the normal test images against the anomalies of one anomaly level.
/// A cell is null where the set has no anomaly of that level or the run no expert of that level.
/// </summary>
/// <param name="ExpertLevels">Rows: patch, component, global (the levels the scores hold, in that order).</param>
/// <param name="AnomalyLevels">Columns: structural, component, logical.</param>
/// <param name="Auroc">Auroc[row][column].</param>
/// <param name="AnomalousImages">Per column, how many anomalous images of that level the set holds.</param>
public sealed record ExpertAttribution(IReadOnlyList<string> ExpertLevels, IReadOnlyList<string> AnomalyLevels, double?[][] Auroc,
    IReadOnlyList<int> AnomalousImages)
{
    /// <summary>The rows in reading order: the local expert first, the global one last.</summary>
    public static IReadOnlyList<string> RowOrder { get; } = [Evaluation.ExpertLevels.Patch, Evaluation.ExpertLevels.Component, Evaluation.ExpertLevels.Global];

    public static IReadOnlyList<string> ColumnOrder { get; } = [Data.AnomalyLevels.Structural, Data.AnomalyLevels.Component, Data.AnomalyLevels.Logical];

    /// <summary>The cell of one expert level and one anomaly level (null when not measurable).</summary>
    public double? this[string expertLevel, string anomalyLevel]
    {
        get
        {
            int r = IndexOf(ExpertLevels, expertLevel, "expert level"), c = IndexOf(AnomalyLevels, anomalyLevel, "anomaly level");
            return Auroc[r][c];
        }
    }

    /// <summary>
    /// The table from each test image's label (0/1), its anomaly level (<see cref="LevelOf"/>; ignored for normal images,
    /// an anomaly without one counts in no column) and the per-level alone scores.
    /// </summary>
    public static ExpertAttribution Compute(IReadOnlyList<int> labels, IReadOnlyList<string?> anomalyLevels, IReadOnlyDictionary<string, float[]> expertLevelScores)
    {
        if (labels.Count != anomalyLevels.Count)
            throw new AnomalyMoEException($"{labels.Count} labels but {anomalyLevels.Count} anomaly levels.");
        foreach (var (level, scores) in expertLevelScores)
            if (scores.Length != labels.Count)
                throw new AnomalyMoEException($"Expert level '{level}' has {scores.Length} scores for {labels.Count} images.");
        if (labels.Any(l => l is not (0 or 1))) throw new AnomalyMoEException("Labels must be 0 (normal) or 1 (anomalous).");
        var rows = RowOrder.Where(expertLevelScores.ContainsKey).ToList();
        var normals = Enumerable.Range(0, labels.Count).Where(i => labels[i] == 0).ToList();
        var counts = ColumnOrder.Select(level => Enumerable.Range(0, labels.Count).Count(i => labels[i] == 1 && anomalyLevels[i] == level)).ToList();
        var table = rows.Select(row => ColumnOrder.Select((level, c) =>
        {
            if (counts[c] == 0 || normals.Count == 0) return (double?)null;
            var pick = normals.Concat(Enumerable.Range(0, labels.Count).Where(i => labels[i] == 1 && anomalyLevels[i] == level)).ToArray();
            var s = pick.Select(i => expertLevelScores[row][i]).ToArray();
            var l = pick.Select(i => (byte)labels[i]).ToArray();
            return BinaryMetrics.Compute(s, l).Auroc;
        }).ToArray()).ToArray();
        return new ExpertAttribution(rows, ColumnOrder, table, counts);
    }

    /// <summary>
    /// An image's anomaly level: <c>metadata.csv</c>'s (synthetic data), else MVTec LOCO's folder name
    /// (<c>logical_anomalies</c>, <c>structural_anomalies</c>); null for other unlabelled anomalies.
    /// </summary>
    public static string? LevelOf(ImageRecord record) => record.Level ?? record.DefectType switch
    {
        LocoSpro.Logical => Data.AnomalyLevels.Logical,
        LocoSpro.Structural => Data.AnomalyLevels.Structural,
        _ => null,
    };

    static int IndexOf(IReadOnlyList<string> names, string name, string what)
    {
        for (int i = 0; i < names.Count; i++) if (names[i] == name) return i;
        throw new ArgumentException($"No {what} '{name}' in the table; it has {string.Join(", ", names)}.");
    }
}
