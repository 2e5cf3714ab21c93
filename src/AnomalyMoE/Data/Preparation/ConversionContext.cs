using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data.Preparation;

/// <summary>
/// What a converter works with: the extracted source tree, one staging folder per output dataset
/// (renamed into place only after the whole conversion succeeded), and whether source files may be
/// moved (a temporary extraction) or must be copied (a folder the user pointed at).
/// </summary>
public sealed class ConversionContext(string sourceRoot, IReadOnlyDictionary<string, string> outputs, bool moveSourceFiles,
    IProgress<ProgressUpdate>? progress = null)
{
    public string SourceRoot { get; } = sourceRoot;
    public bool MoveSourceFiles { get; } = moveSourceFiles;
    public IProgress<ProgressUpdate>? Progress { get; } = progress;
    public ConversionSummary Summary { get; } = new();

    /// <summary>The staging folder of an output dataset (e.g. <c>VisA</c>).</summary>
    public string Output(string dataset) => outputs.TryGetValue(dataset, out var path)
        ? path
        : throw new InvalidOperationException($"The converter wrote to '{dataset}', which it did not declare as an output.");

    /// <summary>Puts a source file at <paramref name="destination"/>, creating folders.</summary>
    public void Place(string source, string destination)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        if (MoveSourceFiles) File.Move(source, destination, overwrite: true);
        else File.Copy(source, destination, overwrite: true);
    }

    /// <summary>Copies a source file, never moving it (for files that are read again later).</summary>
    public static void CopyFile(string source, string destination)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.Copy(source, destination, overwrite: true);
    }

    /// <summary>Folders under <see cref="SourceRoot"/> (itself included, at most <paramref name="maxDepth"/> levels down) that satisfy <paramref name="isMatch"/>; matches are not searched further.</summary>
    public IReadOnlyList<string> FindDirectories(Func<string, bool> isMatch, int maxDepth = 3)
    {
        var found = new List<string>();
        void Walk(string dir, int depth)
        {
            if (isMatch(dir)) { found.Add(dir); return; }
            if (depth >= maxDepth) return;
            foreach (var child in Directory.EnumerateDirectories(dir).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal))
                Walk(child, depth + 1);
        }
        Walk(SourceRoot, 0);
        return found;
    }

    /// <summary>Files of a folder in ordinal name order, hidden files (e.g. macOS <c>._*</c>) left out; empty when the folder is missing.</summary>
    public static IReadOnlyList<string> FilesIn(string dir, params string[] extensions)
    {
        if (!Directory.Exists(dir)) return [];
        return Directory.EnumerateFiles(dir)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Where(f => extensions.Length == 0 || extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
    }

    public static IReadOnlyList<string> DirectoriesIn(string dir) =>
        !Directory.Exists(dir) ? [] : Directory.EnumerateDirectories(dir).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal).ToList();

    public void Report(string task, long done, long total) => Progress.Report(task, done, total);
}

/// <summary>Turns one benchmark's original layout into the MVTec AD layout.</summary>
public interface IDatasetConverter
{
    /// <summary>The output dataset folders this converter writes under the data root (e.g. <c>VisA</c>).</summary>
    IReadOnlyList<string> OutputFolders { get; }

    void Convert(ConversionContext context);
}

/// <summary>The MVTec AD file naming every converter writes.</summary>
public static class MvtecLayout
{
    public const string Train = "train", Test = "test", Validation = "validation", GroundTruth = "ground_truth", Good = "good";

    /// <summary>MVTec AD's mask name for an image stem: <c>&lt;stem&gt;_mask.png</c>.</summary>
    public static string MaskName(string imageStem) => imageStem + "_mask.png";

    /// <summary>
    /// The mask of a test image: MVTec's <c>&lt;stem&gt;_mask.png</c>, else VisA's <c>&lt;stem&gt;.png</c>
    /// (the naming of the common VisA preparation); null when neither exists.
    /// </summary>
    public static string? FindMask(string categoryRoot, string defect, string imageStem)
    {
        var dir = Path.Combine(categoryRoot, GroundTruth, defect);
        foreach (var name in new[] { MaskName(imageStem), imageStem + ".png" })
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path)) return path;
        }
        return null;
    }
}
