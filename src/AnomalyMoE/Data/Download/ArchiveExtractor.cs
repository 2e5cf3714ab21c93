using System.Formats.Tar;
using System.IO.Compression;
using AnomalyMoE.Runtime;
using SharpCompress.Compressors.Xz;

namespace AnomalyMoE.Data.Download;

/// <summary>
/// Unpacks <c>.tar.xz</c>, <c>.tar.gz</c>/<c>.tgz</c>, <c>.tar</c> and <c>.zip</c> archives into a folder,
/// refusing entries that would land outside it. The tar reader is .NET's; xz decoding is SharpCompress's
/// managed decoder, so nothing outside the process is needed.
/// </summary>
public static class ArchiveExtractor
{
    /// <summary>The archive kind by file name, or an error naming the file when it is none we read.</summary>
    public static ArchiveKind KindOf(string path)
    {
        var name = Path.GetFileName(path).ToLowerInvariant();
        if (name.EndsWith(".tar.xz") || name.EndsWith(".txz")) return ArchiveKind.TarXz;
        if (name.EndsWith(".tar.gz") || name.EndsWith(".tgz")) return ArchiveKind.TarGz;
        if (name.EndsWith(".tar")) return ArchiveKind.Tar;
        if (name.EndsWith(".zip")) return ArchiveKind.Zip;
        throw new AnomalyMoEException($"Cannot tell the archive type of {path}: expected .tar.xz, .tar.gz, .tgz, .tar or .zip.");
    }

    /// <summary>Extracts every entry of <paramref name="archive"/> under <paramref name="destination"/>; returns the number of files.</summary>
    public static int Extract(string archive, string destination, IProgress<ProgressUpdate>? progress = null)
    {
        if (!File.Exists(archive)) throw new FileNotFoundException($"Archive {archive} does not exist.", archive);
        Directory.CreateDirectory(destination);
        var root = Path.GetFullPath(destination);
        try
        {
            var kind = KindOf(archive);
            if (kind == ArchiveKind.Zip) return ExtractZip(archive, root, progress);
            using var file = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            using var counting = new ProgressStream(file, progress, $"extract {Path.GetFileName(archive)}");
            using Stream tar = kind switch
            {
                ArchiveKind.TarXz => new BufferedStream(new XZStream(counting), 1 << 20),
                ArchiveKind.TarGz => new GZipStream(counting, CompressionMode.Decompress),
                _ => counting,
            };
            return ExtractTar(tar, root);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException
                                  || e.GetType().Namespace?.StartsWith("SharpCompress", StringComparison.Ordinal) == true)
        {
            throw new AnomalyMoEException($"{archive} is damaged or not the archive it claims to be: {e.Message}", e);
        }
    }

    static int ExtractTar(Stream tar, string root)
    {
        int files = 0;
        using var reader = new TarReader(tar);
        while (reader.GetNextEntry() is { } entry)
        {
            var target = SafeTarget(root, entry.Name);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(target);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    using (var output = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                        entry.DataStream?.CopyTo(output);
                    files++;
                    break;
                default:
                    // Links, devices and metadata entries carry nothing the datasets need.
                    break;
            }
        }
        return files;
    }

    static int ExtractZip(string archive, string root, IProgress<ProgressUpdate>? progress)
    {
        using var zip = ZipFile.OpenRead(archive);
        int files = 0, index = 0;
        foreach (var entry in zip.Entries)
        {
            progress.Report($"extract {Path.GetFileName(archive)}", ++index, zip.Entries.Count);
            var target = SafeTarget(root, entry.FullName);
            if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\'))
            {
                Directory.CreateDirectory(target);
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            entry.ExtractToFile(target, overwrite: true);
            files++;
        }
        return files;
    }

    static string SafeTarget(string root, string entryName)
    {
        var target = Path.GetFullPath(Path.Combine(root, entryName.Replace('\\', '/').TrimStart('/')));
        if (!target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && target != root)
            throw new AnomalyMoEException($"Archive entry '{entryName}' would be written outside {root}; refusing to extract it.");
        return target;
    }

    /// <summary>Reports how much of the compressed file has been read.</summary>
    sealed class ProgressStream(Stream inner, IProgress<ProgressUpdate>? progress, string task) : Stream
    {
        long position, nextReport;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            int read = inner.Read(buffer, offset, count);
            position += read;
            if (position >= nextReport || read == 0)
            {
                progress.Report(task, position, inner.Length);
                nextReport = position + (32L << 20);
            }
            return read;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>Archive formats the extractor reads.</summary>
public enum ArchiveKind { TarXz, TarGz, Tar, Zip }
