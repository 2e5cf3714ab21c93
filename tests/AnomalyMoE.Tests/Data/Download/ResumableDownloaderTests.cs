using System.Security.Cryptography;
using AnomalyMoE.Data.Download;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Data.Download;

public class ResumableDownloaderTests
{
    static byte[] Content(int n = 300_000)
    {
        var bytes = new byte[n];
        new Random(7).NextBytes(bytes);
        return bytes;
    }

    static FileChecksum Sha(byte[] bytes) => FileChecksum.Sha256(Convert.ToHexStringLower(SHA256.HashData(bytes)));

    static ResumableDownloader Downloader(int attempts) =>
        new(options: new DownloadOptions(MaxAttempts: attempts, RetryDelay: TimeSpan.Zero, IdleTimeout: TimeSpan.FromSeconds(30)));

    [Fact]
    public async Task An_interrupted_download_is_kept_and_resumed_with_a_range_request()
    {
        var content = Content();
        using var dir = new TempDirectory();
        using var server = new LoopbackFileServer(content, cutFirstResponsesAfterBytes: 100_000);
        var destination = dir.Combine("file.bin");

        await Assert.ThrowsAsync<AnomalyMoEException>(() => Downloader(1).DownloadAsync(server.Url, destination, content.Length, Sha(content)));
        var part = ResumableDownloader.PartialPath(destination);
        Assert.False(File.Exists(destination));
        long kept = new FileInfo(part).Length;
        Assert.InRange(kept, 1, content.Length - 1);

        var result = await Downloader(1).DownloadAsync(server.Url, destination, content.Length, Sha(content));

        Assert.True(result.Resumed);
        Assert.Equal($"bytes={kept}-", server.RangeHeaders[^1]);
        Assert.Equal(content, File.ReadAllBytes(destination));
        Assert.False(File.Exists(part));
    }

    [Fact]
    public async Task Retries_heal_a_dropped_connection_within_one_call()
    {
        var content = Content();
        using var dir = new TempDirectory();
        using var server = new LoopbackFileServer(content, cutFirstResponsesAfterBytes: 50_000, cuts: 2);
        var destination = dir.Combine("file.bin");

        var result = await Downloader(4).DownloadAsync(server.Url, destination, content.Length, Sha(content));

        Assert.Equal(content, File.ReadAllBytes(destination));
        Assert.True(result.Attempts >= 3);
        Assert.Contains(server.RangeHeaders, h => h != null && h.StartsWith("bytes=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_checksum_is_rejected_and_the_file_deleted()
    {
        var content = Content(20_000);
        using var dir = new TempDirectory();
        using var server = new LoopbackFileServer(content);
        var destination = dir.Combine("file.bin");
        var wrong = FileChecksum.Sha256(new string('0', 64));

        var e = await Assert.ThrowsAsync<AnomalyMoEException>(() => Downloader(1).DownloadAsync(server.Url, destination, content.Length, wrong));

        Assert.Contains("SHA256", e.Message);
        Assert.False(File.Exists(destination));
        Assert.False(File.Exists(ResumableDownloader.PartialPath(destination)));
    }

    [Fact]
    public async Task A_size_that_differs_from_the_expected_one_is_rejected()
    {
        var content = Content(20_000);
        using var dir = new TempDirectory();
        using var server = new LoopbackFileServer(content);

        var e = await Assert.ThrowsAsync<AnomalyMoEException>(() => Downloader(1).DownloadAsync(server.Url, dir.Combine("f.bin"), content.Length + 1));

        Assert.Contains($"{content.Length}", e.Message);
    }

    [Fact]
    public async Task An_existing_complete_file_is_only_verified()
    {
        var content = Content(1000);
        using var dir = new TempDirectory();
        var destination = dir.Combine("file.bin");
        File.WriteAllBytes(destination, content);
        using var server = new LoopbackFileServer(content);

        var result = await Downloader(1).DownloadAsync(server.Url, destination, content.Length, Sha(content));

        Assert.Equal(0, result.Attempts);
        Assert.Empty(server.RangeHeaders);
    }
}
