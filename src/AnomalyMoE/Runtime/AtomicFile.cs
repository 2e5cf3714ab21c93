using System.Text;

namespace AnomalyMoE.Runtime;

/// <summary>
/// Writes files through a temporary file beside the target, then renames it over the target, so a reader
/// (or a run interrupted half-way) never sees half a file.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes whatever <paramref name="write"/> puts into the stream; creates the folder if needed.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write)) write(stream);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Writes <paramref name="bytes"/>; creates the folder if needed.</summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray(); // a span cannot be captured by the writer delegate
        Write(path, stream => stream.Write(copy));
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark, as <see cref="File.WriteAllText(string, string)"/> does.</summary>
    public static void WriteText(string path, string text) => Write(path, new UTF8Encoding(false).GetBytes(text));
}
