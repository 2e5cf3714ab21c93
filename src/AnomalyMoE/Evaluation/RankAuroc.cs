namespace AnomalyMoE.Evaluation;

/// <summary>
/// Exact image-level AUROC by ranks (Mann–Whitney U, ties counted one half), private to the dataset-specific
/// metrics here; swap for the kit's shared binary-metrics AUROC once it exists — results are identical.
/// </summary>
internal static class RankAuroc
{
    /// <summary>AUROC of <paramref name="positives"/> scored above <paramref name="negatives"/>; NaN when either is empty.</summary>
    public static double Compute(IReadOnlyList<double> negatives, IReadOnlyList<double> positives)
    {
        if (negatives.Count == 0 || positives.Count == 0) return double.NaN;
        foreach (var s in negatives.Concat(positives))
            if (double.IsNaN(s)) throw new ArgumentException("AUROC scores must not be NaN.");
        var all = negatives.Select(s => (Score: s, Positive: false)).Concat(positives.Select(s => (Score: s, Positive: true)))
            .OrderBy(p => p.Score).ToArray();
        double positiveRankSum = 0;
        for (int i = 0; i < all.Length;)
        {
            int j = i;
            while (j < all.Length && all[j].Score == all[i].Score) j++;
            double meanRank = (i + 1 + j) / 2.0; // ranks i+1 … j share their mean
            for (int k = i; k < j; k++) if (all[k].Positive) positiveRankSum += meanRank;
            i = j;
        }
        double n1 = positives.Count, n0 = negatives.Count;
        return (positiveRankSum - n1 * (n1 + 1) / 2) / (n1 * n0);
    }
}
