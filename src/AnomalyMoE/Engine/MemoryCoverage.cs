using AnomalyMoE.Data;

namespace AnomalyMoE.Engine;

/// <summary>
/// The coverage rule the nonparametric memories share (<see cref="LayoutMemorySet"/>, <see cref="ComponentMemorySet"/>): a
/// memory is only as good as its normals' coverage, and its leave-one-out calibration only sees that coverage when the
/// normals are independent, so a category needs a minimum of independent training sequences (<see cref="ImageSequences"/>).
/// </summary>
static class MemoryCoverage
{
    /// <summary>
    /// Each training image's sequence, or null when the category has fewer than <paramref name="minimum"/> independent
    /// sequences; then <paramref name="notes"/> gets a line naming the category, the <paramref name="level"/> whose trained
    /// map it keeps and why.
    /// </summary>
    public static int[]? Sequences(CategoryInfo category, IReadOnlyList<ImageRecord> train, int minimum, string level, string memory, List<string> notes)
    {
        var sequences = ImageSequences.Of(train.Select(r => r.Path).ToList());
        int independent = sequences.Distinct().Count();
        if (independent >= minimum) return sequences;
        notes.Add($"{category.Key} keeps the trained {level} map, scored alone and left out of the fused score: its {train.Count} training images form " +
            $"{independent} independent sequence(s), fewer than the {minimum} a {memory} needs.");
        return null;
    }
}
