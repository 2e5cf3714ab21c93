using System.Net;
using System.Net.Http.Headers;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data.Download;

/// <summary>How persistent a download is.</summary>
/// <param name="IdleTimeout">An attempt fails when no byte arrives for this long (default 60 s), so a stalled connection is retried.</param>
public sealed record DownloadOptions(int MaxAttempts = 5, TimeSpan? RetryDelay = null, TimeSpan? IdleTimeout = null)
{
    public static DownloadOptions Default { get; } = new();

    public TimeSpan EffectiveRetryDelay => RetryDelay ?? TimeSpan.FromSeconds(3);
    public TimeSpan EffectiveIdleTimeout => IdleTimeout ?? TimeSpan.FromSeconds(60);

    public void Validate()
    {
        if (MaxAttempts < 1) throw new ArgumentException($"DownloadOptions.MaxAttempts must be at least 1, got {MaxAttempts}.");
        if (RetryDelay is { } d && d < TimeSpan.Zero) throw new ArgumentException($"DownloadOptions.RetryDelay must not be negative, got {d}.");
        if (IdleTimeout is { } t && t <= TimeSpan.Zero) throw new ArgumentException($"DownloadOptions.IdleTimeout must be positive, got {t}.");
    }
}

/// <summary>
/// Downloads one file over HTTP(S) into <c>destination</c>, resuming an interrupted
/// <c>destination.part</c> with a <c>Range</c> request, retrying transient failures, and checking
/// size and checksum before the file is renamed into place (so a finished name is always a whole file).
/// </summary>
public sealed class ResumableDownloader(HttpClient? client = null, DownloadOptions? options = null)
{
    readonly HttpClient http = client ?? CreateDefaultClient();
    readonly DownloadOptions options = Validated(options ?? DownloadOptions.Default);

    static DownloadOptions Validated(DownloadOptions o) { o.Validate(); return o; }

    static HttpClient CreateDefaultClient()
    {
        var handler = new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, AllowAutoRedirect = true };
        var c = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        c.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("AnomalyMoE.Research", "1.0"));
        return c;
    }

    /// <summary>Where the partial bytes of <paramref name="destination"/> are kept between attempts.</summary>
    public static string PartialPath(string destination) => destination + ".part";

    /// <summary>
    /// Fetches <paramref name="url"/>. A destination that already exists is only checked. Throws
    /// <see cref="AnomalyMoEException"/> naming the URL when every attempt failed, and when the size or
    /// checksum is wrong (the bad file is deleted so the next run starts afresh).
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(Uri url, string destination, long? expectedSize = null,
        FileChecksum? expectedChecksum = null, IProgress<ProgressUpdate>? progress = null, CancellationToken cancel = default)
    {
        if (File.Exists(destination))
        {
            Verify(destination, url, expectedSize, expectedChecksum, progress, deleteOnFailure: false);
            return new DownloadResult(destination, new FileInfo(destination).Length, Resumed: false, Attempts: 0);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        var part = PartialPath(destination);
        bool resumed = false;
        int attempts = 0;
        Exception? last = null;
        for (int attempt = 1; attempt <= options.MaxAttempts; attempt++)
        {
            cancel.ThrowIfCancellationRequested();
            attempts = attempt;
            try
            {
                resumed |= await TransferAsync(url, part, expectedSize, progress, cancel).ConfigureAwait(false);
                last = null;
                break;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException
                                      || (e is OperationCanceledException && !cancel.IsCancellationRequested))
            {
                last = e;
                if (e is HttpRequestException { StatusCode: { } code } && (int)code is >= 400 and < 500 and not 408 and not 429)
                    break;
                if (attempt < options.MaxAttempts)
                    await Task.Delay(options.EffectiveRetryDelay * attempt, cancel).ConfigureAwait(false);
            }
        }
        if (last != null)
            throw new AnomalyMoEException(
                $"Download of {url} failed after {attempts} attempt(s): {last.Message}."
                + (File.Exists(part) && new FileInfo(part).Length > 0
                    ? $" The partial file {part} is kept; run the same command again to resume."
                    : ""), last);

        Verify(part, url, expectedSize, expectedChecksum, progress, deleteOnFailure: true);
        File.Move(part, destination, overwrite: true);
        return new DownloadResult(destination, new FileInfo(destination).Length, resumed, attempts);
    }

    /// <summary>One attempt: returns true when it continued an existing partial file.</summary>
    async Task<bool> TransferAsync(Uri url, string part, long? expectedSize, IProgress<ProgressUpdate>? progress, CancellationToken cancel)
    {
        long have = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (expectedSize is { } size && have == size) return have > 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(options.EffectiveIdleTimeout);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);

        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            // The server says our partial file already covers the whole resource.
            var total = response.Content.Headers.ContentRange?.Length;
            if (total == have) return true;
            File.Delete(part);
            throw new IOException($"The server rejected resuming at byte {have}; the partial file was discarded.");
        }
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentType?.MediaType is "text/html" && (expectedSize is null || expectedSize > 1 << 20))
            throw new HttpRequestException(
                $"{url} answered with an HTML page instead of the file: the link has probably changed or needs a click-through in a browser.",
                null, HttpStatusCode.NotFound);

        bool appending = have > 0 && response.StatusCode == HttpStatusCode.PartialContent;
        if (appending && response.Content.Headers.ContentRange?.From is { } from && from != have)
            throw new IOException($"The server resumed at byte {from} instead of {have}.");
        long? length = response.Content.Headers.ContentLength;
        long totalBytes = appending ? have + (length ?? 0) : length ?? expectedSize ?? 0;
        if (expectedSize is { } exp && totalBytes > 0 && totalBytes != exp)
            throw new AnomalyMoEException($"{url} reports {totalBytes} bytes but {exp} were expected: the link points to a different file.");

        long done = appending ? have : 0;
        await using (var output = new FileStream(part, appending ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        await using (var input = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false))
        {
            var buffer = new byte[1 << 20];
            int read;
            long nextReport = 0;
            while ((read = await input.ReadAsync(buffer, timeout.Token).ConfigureAwait(false)) > 0)
            {
                timeout.CancelAfter(options.EffectiveIdleTimeout);
                await output.WriteAsync(buffer.AsMemory(0, read), timeout.Token).ConfigureAwait(false);
                done += read;
                if (done >= nextReport)
                {
                    progress.Report($"download {Path.GetFileName(part[..^5])}", done, totalBytes);
                    nextReport = done + (8L << 20);
                }
            }
        }
        if (length is { } expectedBody && done - (appending ? have : 0) != expectedBody)
            throw new IOException($"The connection ended after {done} bytes, before the announced end.");
        progress.Report($"download {Path.GetFileName(part[..^5])}", done, totalBytes);
        return appending;
    }

    static void Verify(string path, Uri url, long? expectedSize, FileChecksum? expected, IProgress<ProgressUpdate>? progress, bool deleteOnFailure)
    {
        long size = new FileInfo(path).Length;
        if (expectedSize is { } want && size != want)
        {
            if (deleteOnFailure) File.Delete(path);
            throw new AnomalyMoEException($"{path} has {size} bytes but {want} were expected (from {url}).");
        }
        if (expected is null) return;
        var actual = expected.ComputeFor(path, progress);
        if (actual != expected.Hex)
        {
            if (deleteOnFailure) File.Delete(path);
            throw new AnomalyMoEException(
                $"{expected.Algorithm.ToUpperInvariant()} of {path} is {actual}, expected {expected.Hex} (from {url})."
                + (deleteOnFailure ? " The file was deleted." : " Delete it and run again."));
        }
    }
}

/// <summary>The outcome of <see cref="ResumableDownloader.DownloadAsync"/>.</summary>
public sealed record DownloadResult(string Path, long Bytes, bool Resumed, int Attempts);
