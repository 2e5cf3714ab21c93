namespace AnomalyMoE.Evaluation;

/// <summary>Image-level AUROC of two score groups for the dataset-specific reports, through <see cref="BinaryMetrics"/>.</summary>
internal static class RankAuroc
{
    /// <summary>AUROC of <paramref name="positives"/> scored above <paramref name="negatives"/>; NaN when either is empty.</summary>
    public static double Compute(IReadOnlyList<double> negatives, IReadOnlyList<double> positives)
    {
        if (negatives.Count == 0 || positives.Count == 0) return double.NaN;
        var scores = new float[negatives.Count + positives.Count];
        var labels = new byte[scores.Length];
        for (int i = 0; i < negatives.Count; i++) scores[i] = (float)negatives[i];
        for (int i = 0; i < positives.Count; i++)
        {
            scores[negatives.Count + i] = (float)positives[i];
            labels[negatives.Count + i] = 1;
        }
        return BinaryMetrics.Compute(scores, labels).Auroc;
    }
}
