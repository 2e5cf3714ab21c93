namespace AnomalyMoE.Synthetic;

/// <summary>
/// Which anomaly type each test index of a category gets: first the normal share, then each anomaly
/// type in one contiguous block (so consecutive video frames of one type form a moving sequence).
/// Every type gets at least one image when the split is large enough (<see cref="SynthOptions.Validate"/>).
/// </summary>
public static class TestPlan
{
    public static int NormalCount(int total, double normalFraction) => (int)Math.Ceiling(total * normalFraction - 1e-9);

    public static IReadOnlyList<AnomalyKind?> For(SyntheticCategory category, int total, double normalFraction)
    {
        var normals = NormalCount(total, normalFraction);
        var kinds = category.AnomalyKinds;
        var anomalous = total - normals;
        var plan = new List<AnomalyKind?>(total);
        for (var i = 0; i < normals; i++) plan.Add(null);
        for (var k = 0; k < kinds.Count; k++)
        {
            var count = anomalous / kinds.Count + (k < anomalous % kinds.Count ? 1 : 0);
            for (var i = 0; i < count; i++) plan.Add(kinds[k]);
        }
        return plan;
    }
}
