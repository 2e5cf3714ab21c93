using AnomalyMoE.Runtime;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// A detector read at one operating point, as clinicians read a test: the sensitivity (anomalous images called
/// anomalous) at the lowest threshold whose specificity (normal images called normal) is at least the target.
/// An image is called anomalous when its score is above the threshold.
/// </summary>
public sealed record OperatingPoint(double TargetSpecificity, double Threshold, double Sensitivity, double Specificity)
{
    public static OperatingPoint AtSpecificity(IReadOnlyList<float> scores, IReadOnlyList<int> labels, double specificity = 0.95)
    {
        if (specificity is <= 0 or > 1) throw new AnomalyMoEException($"Specificity {specificity} must be in (0, 1].");
        if (scores.Count != labels.Count) throw new AnomalyMoEException($"{scores.Count} scores but {labels.Count} labels.");
        if (scores.Any(float.IsNaN)) throw new AnomalyMoEException("A score is NaN.");
        var normals = Enumerable.Range(0, scores.Count).Where(i => labels[i] == 0).Select(i => (double)scores[i]).Order().ToArray();
        var anomalies = Enumerable.Range(0, scores.Count).Where(i => labels[i] == 1).Select(i => (double)scores[i]).ToArray();
        if (normals.Length + anomalies.Length != scores.Count) throw new AnomalyMoEException("Labels must be 0 (normal) or 1 (anomalous).");
        if (normals.Length == 0 || anomalies.Length == 0)
            throw new AnomalyMoEException($"An operating point needs both classes; got {anomalies.Length} anomalous and {normals.Length} normal images.");
        // At least ceil(spec · n) normals must score at or below the threshold: the smallest such threshold is that normal's score.
        int needed = (int)Math.Ceiling(specificity * normals.Length - 1e-9);
        double threshold = normals[Math.Max(needed, 1) - 1];
        double actual = normals.Count(s => s <= threshold) / (double)normals.Length;
        double sensitivity = anomalies.Count(s => s > threshold) / (double)anomalies.Length;
        return new OperatingPoint(specificity, threshold, sensitivity, actual);
    }
}
