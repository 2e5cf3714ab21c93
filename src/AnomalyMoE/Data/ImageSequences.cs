namespace AnomalyMoE.Data;

/// <summary>
/// Which training images belong together because they were taken in one sequence: the frames of one video clip, the
/// slices of one scan. Such images are near twins of each other, so a nonparametric score that compares an image with
/// the other normals must leave its whole sequence out, or it calibrates on distances no unseen normal will get.
/// <para>
/// A category's images form sequences when every file is named <c>&lt;sequence&gt;_&lt;frame&gt;</c>, the frame being
/// digits (as <c>data-scripts/prepare</c> names UCSD Ped2 frames and the synthetic video family names its clips'
/// frames), and the names give at least two sequences, one of them longer than a frame. Otherwise every image is a
/// sequence of its own (MVTec AD's <c>000.png</c>, say).
/// </para>
/// </summary>
public static class ImageSequences
{
    /// <summary>The sequence of each path, as an index into the distinct sequences in order of first appearance.</summary>
    public static int[] Of(IReadOnlyList<string> paths)
    {
        var names = new string?[paths.Count];
        for (int i = 0; i < paths.Count; i++)
        {
            names[i] = SequenceName(paths[i]);
            if (names[i] is null) return Singletons(paths.Count);
        }
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var sequences = new int[paths.Count];
        for (int i = 0; i < paths.Count; i++)
        {
            if (!index.TryGetValue(names[i]!, out var s)) index[names[i]!] = s = index.Count;
            sequences[i] = s;
        }
        bool framesShareASequence = index.Count < paths.Count;
        return index.Count >= 2 && framesShareASequence ? sequences : Singletons(paths.Count);
    }

    /// <summary>The folder and <c>&lt;sequence&gt;</c> part of a <c>&lt;sequence&gt;_&lt;digits&gt;</c> file name; null for any other name.</summary>
    static string? SequenceName(string path)
    {
        var stem = Path.GetFileNameWithoutExtension(path);
        int cut = stem.LastIndexOf('_');
        if (cut <= 0 || cut == stem.Length - 1) return null;
        for (int i = cut + 1; i < stem.Length; i++)
            if (!char.IsAsciiDigit(stem[i])) return null;
        return Path.Combine(Path.GetDirectoryName(path) ?? "", stem[..cut]);
    }

    static int[] Singletons(int count) => Enumerable.Range(0, count).ToArray();
}
