using System.Text.Json;
using AnomalyMoE.Data.Download;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data.Preparation;

/// <summary>A request to prepare one dataset under <paramref name="Root"/>.</summary>
/// <param name="FromArchive">A hand-fetched archive file, or a folder holding the already-unpacked original layout.</param>
/// <param name="AcceptLicence">Accept the licence notice without asking (<c>--yes</c>).</param>
/// <param name="KeepExtracted">Keep the unpacked archive under <c>.extract/</c> (files are then copied, not moved) for later runs.</param>
public sealed record PrepareRequest(string Dataset, string Root, string? FromArchive = null, bool AcceptLicence = false, bool KeepExtracted = false)
{
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Root)) throw new ArgumentException("PrepareRequest.Root must name a folder.");
        if (FromArchive != null && !File.Exists(FromArchive) && !Directory.Exists(FromArchive))
            throw new FileNotFoundException($"--from-archive {FromArchive} does not exist.", FromArchive);
    }
}

/// <summary>The outcome: where each output dataset lies, what it holds, and whether this run did the work.</summary>
public sealed record PrepareResult(DatasetEntry Dataset, IReadOnlyList<string> OutputPaths, ConversionSummary Summary, bool AlreadyPrepared);

/// <summary>What the completion marker <see cref="DatasetPreparer.MarkerFile"/> records.</summary>
public sealed record PreparedMarker(string Dataset, string Source, string? Checksum, DateTimeOffset PreparedAt, ConversionSummary Summary);

/// <summary>
/// Prepares a benchmark in one call: obtain the archive (a given file or folder, or a resumable, checksummed
/// download after the licence notice was accepted), extract it, convert it into staging folders, write the
/// completion marker and rename the staging folders into place. A dataset whose marker exists is left alone,
/// so re-running is cheap and safe; an interrupted run leaves no half-written dataset behind.
/// </summary>
public sealed class DatasetPreparer(ResumableDownloader downloader, TextWriter log, Func<DatasetEntry, bool>? askLicence = null)
{
    public const string MarkerFile = ".amoe-prepared.json";
    public const string DownloadsFolder = ".downloads", ExtractFolder = ".extract", StagingFolder = ".staging";
    const string ExtractedMarker = ".amoe-extracted";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public async Task<PrepareResult> PrepareAsync(PrepareRequest request, IProgress<ProgressUpdate>? progress = null, CancellationToken cancel = default)
    {
        request.Validate();
        var entry = DatasetCatalog.Find(request.Dataset);
        var root = Path.GetFullPath(request.Root);
        var converter = entry.CreateConverter();
        var finals = converter.OutputFolders.Select(f => Path.Combine(root, f)).ToList();

        if (finals.All(f => File.Exists(Path.Combine(f, MarkerFile))))
        {
            var marker = ReadMarker(Path.Combine(finals[0], MarkerFile));
            log.WriteLine($"{entry.Name}: already prepared in {string.Join(", ", finals)} ({marker.PreparedAt:u}); nothing to do.");
            return new PrepareResult(entry, finals, marker.Summary, AlreadyPrepared: true);
        }
        foreach (var f in finals.Where(f => Directory.Exists(f) && !File.Exists(Path.Combine(f, MarkerFile))))
            throw new AnomalyMoEException($"{f} exists but was not prepared by this tool (no {MarkerFile}); move or delete it, then run again.");

        Directory.CreateDirectory(root);
        string sourceRoot;
        bool move;
        string sourceName;
        string? checksum = entry.Archive.Checksum?.Hex;
        string? extractDir = null;
        if (request.FromArchive != null && Directory.Exists(request.FromArchive))
        {
            sourceRoot = Path.GetFullPath(request.FromArchive);
            move = false;
            sourceName = sourceRoot;
            checksum = null;
            log.WriteLine($"{entry.Name}: converting the unpacked folder {sourceRoot} (files are copied, the folder is left as it is).");
        }
        else
        {
            var archive = request.FromArchive != null
                ? CheckGivenArchive(entry, Path.GetFullPath(request.FromArchive), progress)
                : await DownloadAsync(entry, root, request.AcceptLicence, progress, cancel).ConfigureAwait(false);
            sourceName = archive;
            extractDir = Path.Combine(root, ExtractFolder, entry.Name);
            var extractedMarker = Path.Combine(extractDir, ExtractedMarker);
            if (!File.Exists(extractedMarker))
            {
                if (Directory.Exists(extractDir)) Directory.Delete(extractDir, recursive: true);
                log.WriteLine($"{entry.Name}: extracting {archive} …");
                int files = ArchiveExtractor.Extract(archive, extractDir, progress);
                File.WriteAllText(extractedMarker, archive);
                log.WriteLine($"{entry.Name}: extracted {files} files.");
            }
            // Moving files out of the extraction is fast but spends it; a kept extraction is copied from instead.
            move = !request.KeepExtracted;
            if (move) File.Delete(extractedMarker);
            sourceRoot = extractDir;
        }

        var staging = converter.OutputFolders.ToDictionary(f => f, f => Path.Combine(root, StagingFolder, f));
        foreach (var s in staging.Values)
        {
            if (Directory.Exists(s)) Directory.Delete(s, recursive: true);
            Directory.CreateDirectory(s);
        }
        var context = new ConversionContext(sourceRoot, staging, move, progress);
        log.WriteLine($"{entry.Name}: converting into the MVTec layout …");
        converter.Convert(context);
        cancel.ThrowIfCancellationRequested();

        var markerText = JsonSerializer.Serialize(new PreparedMarker(entry.Name, sourceName, checksum, DateTimeOffset.UtcNow, context.Summary), Json);
        foreach (var (folder, s) in staging)
        {
            var tmp = Path.Combine(s, MarkerFile + ".tmp");
            File.WriteAllText(tmp, markerText);
            File.Move(tmp, Path.Combine(s, MarkerFile), overwrite: true);
            Directory.Move(s, Path.Combine(root, folder));
        }
        TryDelete(Path.Combine(root, StagingFolder));
        if (extractDir != null && !request.KeepExtracted)
        {
            TryDelete(extractDir);
            TryDelete(Path.Combine(root, ExtractFolder));
        }
        log.WriteLine($"{entry.Name}: prepared {string.Join(", ", finals)}.");
        return new PrepareResult(entry, finals, context.Summary, AlreadyPrepared: false);
    }

    static PreparedMarker ReadMarker(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<PreparedMarker>(File.ReadAllText(path), Json)
                   ?? throw new InvalidDataException("empty marker");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException)
        {
            throw new AnomalyMoEException($"The completion marker {path} is damaged ({e.Message}); delete the dataset folder and run again.", e);
        }
    }

    string CheckGivenArchive(DatasetEntry entry, string archive, IProgress<ProgressUpdate>? progress)
    {
        if (entry.Archive.Checksum is { } expected && Path.GetFileName(archive) == entry.Archive.FileName)
        {
            log.WriteLine($"{entry.Name}: checking the {expected.Algorithm} of {archive} …");
            var actual = expected.ComputeFor(archive, progress);
            if (actual != expected.Hex)
                throw new AnomalyMoEException(
                    $"{archive}: {expected.Algorithm} is {actual}, but the published archive has {expected.Hex}. The file is damaged or a different release.");
        }
        else if (entry.Archive.Checksum != null)
        {
            log.WriteLine($"{entry.Name}: {archive} is not named {entry.Archive.FileName}; its checksum is not checked.");
        }
        return archive;
    }

    async Task<string> DownloadAsync(DatasetEntry entry, string root, bool accepted, IProgress<ProgressUpdate>? progress, CancellationToken cancel)
    {
        var destination = Path.Combine(root, DownloadsFolder, entry.Archive.FileName);
        if (entry.Archive.Urls.Count == 0)
            throw new AnomalyMoEException($"{entry.Name} cannot be downloaded automatically. {entry.ManualDownload}");
        if (!File.Exists(destination))
        {
            log.WriteLine(entry.LicenceNotice);
            if (!accepted && !(askLicence?.Invoke(entry) ?? false))
                throw new AnomalyMoEException($"The licence of {entry.Name} was not accepted; pass --yes to accept it and download.");
        }
        var failures = new List<string>();
        foreach (var url in entry.Archive.Urls)
        {
            try
            {
                log.WriteLine($"{entry.Name}: downloading {url} → {destination}");
                var result = await downloader.DownloadAsync(new Uri(url), destination, entry.Archive.Size, entry.Archive.Checksum, progress, cancel)
                    .ConfigureAwait(false);
                return result.Path;
            }
            catch (AnomalyMoEException e)
            {
                log.WriteLine($"{entry.Name}: {url} failed: {e.Message}");
                failures.Add($"{url}: {e.Message}");
            }
        }
        throw new AnomalyMoEException(
            $"Every download link of {entry.Name} failed (links of this dataset have changed before):\n  " + string.Join("\n  ", failures)
            + $"\nFetch {entry.Archive.FileName} by hand from {entry.Homepage} and run again with --from-archive PATH.");
    }

    static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir) && (!Directory.EnumerateFileSystemEntries(dir).Any() || Path.GetFileName(Path.GetDirectoryName(dir)) == ExtractFolder))
                Directory.Delete(dir, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
