namespace AnomalyMoE.Data;

/// <summary>Which files count as images: PNG, JPEG and BMP by extension, case-insensitive. Everything else is ignored.</summary>
public static class ImageFiles
{
    /// <summary>Extensions in the order a ground-truth lookup prefers them.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>True for a supported image extension; hidden files (<c>.name</c>, e.g. macOS <c>._000.png</c>) never count.</summary>
    public static bool IsImage(string path)
    {
        var name = Path.GetFileName(path);
        if (name.Length == 0 || name[0] == '.') return false;
        var ext = Path.GetExtension(name);
        foreach (var e in Extensions)
        {
            if (string.Equals(ext, e, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>The image files directly in a folder, in ordinal order of their names (empty when the folder is missing).</summary>
    public static IReadOnlyList<string> List(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        var files = Directory.EnumerateFiles(folder).Where(IsImage).Select(Path.GetFullPath).ToList();
        files.Sort(StringComparer.Ordinal);
        return files;
    }
}
