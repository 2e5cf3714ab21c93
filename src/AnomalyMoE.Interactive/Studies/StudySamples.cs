using AnomalyMoE.Data;

namespace AnomalyMoE.Interactive.Studies;

/// <summary>
/// Which images a notebook shows (<see cref="NotebookStudy.TestSamples"/>, <see cref="NotebookStudy.TrainSamples"/>): with
/// several categories the counts are shared out over them in turn, earlier categories taking the remainder.
/// </summary>
public static class StudySamples
{
    /// <summary>A few normal and a few anomalous test images of <paramref name="categories"/>, the anomalies spread over the defect types, normal images first.</summary>
    public static IReadOnlyList<ImageRecord> Test(IReadOnlyList<CategoryInfo> categories, int normal, int anomalous)
    {
        var normals = new List<ImageRecord>();
        var anomalies = new List<ImageRecord>();
        for (int k = 0; k < categories.Count; k++)
        {
            var test = categories[k].Test.ToList();
            normals.AddRange(test.Where(r => r.Label == 0).Take(Share(normal, k, categories.Count)));
            anomalies.AddRange(SpreadOverTypes(test.Where(r => r.Label == 1), Share(anomalous, k, categories.Count)));
        }
        return normals.Concat(anomalies).ToList();
    }

    /// <summary>The first training images (all normal) of <paramref name="categories"/>, <paramref name="count"/> in all.</summary>
    public static IReadOnlyList<ImageRecord> Train(IReadOnlyList<CategoryInfo> categories, int count) =>
        Enumerable.Range(0, categories.Count).SelectMany(k => categories[k].Train.Take(Share(count, k, categories.Count))).ToList();

    /// <summary>Category <paramref name="k"/>'s part of <paramref name="total"/> shared out over <paramref name="categories"/> in turn.</summary>
    static int Share(int total, int k, int categories) => total / categories + (k < total % categories ? 1 : 0);

    static List<ImageRecord> SpreadOverTypes(IEnumerable<ImageRecord> anomalies, int count)
    {
        var byType = anomalies.GroupBy(r => r.DefectType).Select(g => new Queue<ImageRecord>(g)).ToList();
        var picked = new List<ImageRecord>();
        while (picked.Count < count && byType.Any(q => q.Count > 0))
        {
            foreach (var queue in byType.Where(q => q.Count > 0))
            {
                if (picked.Count == count) break;
                picked.Add(queue.Dequeue());
            }
        }
        return picked;
    }
}
