using System.Text;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data;

/// <summary>
/// The optional <c>metadata.csv</c> the synthetic generator writes beside its families
/// (columns <c>path,family,category,split,label,level,anomaly_type</c>; paths relative to the csv's folder).
/// Only <c>path</c> and <c>level</c> are required; the reader uses them to fill <see cref="ImageRecord.Level"/>.
/// </summary>
public sealed class DatasetMetadata
{
    public const string FileName = "metadata.csv";

    readonly Dictionary<string, string> levelByPath;

    DatasetMetadata(string file, Dictionary<string, string> levels)
    {
        File = file;
        levelByPath = levels;
    }

    /// <summary>The csv this metadata came from.</summary>
    public string File { get; }

    public int Count => levelByPath.Count;

    /// <summary>The level of an image (absolute or relative path), or null when the csv does not list it.</summary>
    public string? LevelOf(string imagePath) => levelByPath.GetValueOrDefault(Path.GetFullPath(imagePath));

    /// <summary>Finds <c>metadata.csv</c> in a dataset root or, failing that, in its parent; null when neither has one.</summary>
    public static DatasetMetadata? FindFor(string root)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        foreach (var folder in new[] { full, Path.GetDirectoryName(full) })
        {
            if (folder is null) continue;
            var candidate = Path.Combine(folder, FileName);
            if (System.IO.File.Exists(candidate)) return Load(candidate);
        }
        return null;
    }

    /// <summary>Parses a metadata csv; errors name the file and the line.</summary>
    public static DatasetMetadata Load(string csvPath)
    {
        var full = Path.GetFullPath(csvPath);
        var folder = Path.GetDirectoryName(full)!;
        string[] lines;
        try
        {
            lines = System.IO.File.ReadAllLines(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AnomalyMoEException($"Cannot read the metadata file '{full}': {e.Message}", e);
        }
        if (lines.Length == 0) throw new AnomalyMoEException($"The metadata file '{full}' is empty: expected a header with the columns path and level.");
        var header = SplitCsvLine(lines[0]).Select(h => h.Trim().TrimStart('\uFEFF')).ToList();
        int pathColumn = header.IndexOf("path"), levelColumn = header.IndexOf("level");
        if (pathColumn < 0 || levelColumn < 0)
            throw new AnomalyMoEException($"The metadata file '{full}' has the header '{lines[0]}': the columns 'path' and 'level' are required.");
        var levels = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var fields = SplitCsvLine(lines[i]);
            if (fields.Count <= Math.Max(pathColumn, levelColumn))
                throw new AnomalyMoEException($"{full}, line {i + 1}: expected {header.Count} columns, found {fields.Count}.");
            var level = fields[levelColumn].Trim();
            if (!AnomalyLevels.IsKnown(level))
                throw new AnomalyMoEException($"{full}, line {i + 1}: level '{level}' is not one of {string.Join(", ", AnomalyLevels.All)}.");
            var relative = fields[pathColumn].Trim().Replace('\\', '/');
            levels[Path.GetFullPath(Path.Combine(folder, relative))] = level;
        }
        return new DatasetMetadata(full, levels);
    }

    /// <summary>Splits one csv line (RFC 4180 quoting: "a,b" and doubled quotes).</summary>
    internal static List<string> SplitCsvLine(string line)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else current.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(c);
        }
        fields.Add(current.ToString());
        return fields;
    }
}
