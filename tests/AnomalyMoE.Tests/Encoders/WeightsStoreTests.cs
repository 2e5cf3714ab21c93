using System.Net;
using AnomalyMoE.Data.Download;
using AnomalyMoE.Encoders;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Encoders;

public class WeightsStoreTests
{
    /// <summary>Answers every request with the same bytes, so no test reaches the network.</summary>
    sealed class FixedContent(byte[] body) : HttpMessageHandler
    {
        public List<Uri> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.RequestUri!);
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) };
            response.Content.Headers.ContentLength = body.Length;
            return Task.FromResult(response);
        }
    }

    [Fact]
    public void The_catalog_uses_the_dinov2_hub_addresses()
    {
        Assert.Equal("https://dl.fbaipublicfiles.com/dinov2/dinov2_vitb14/dinov2_vitb14_reg4_pretrain.pth", WeightsStore.Find("dinov2_vitb14_reg4").Url);
        Assert.Equal("https://dl.fbaipublicfiles.com/dinov2/dinov2_vits14/dinov2_vits14_pretrain.pth", WeightsStore.Find("dinov2_vits14").Url);
        Assert.Equal(6, WeightsStore.Catalog.Count);
    }

    [Fact]
    public void A_missing_checkpoint_names_the_command_that_fetches_it()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<AnomalyMoEException>(() => new WeightsStore(dir.Path).RequirePath("dinov2_vitb14_reg4"));
        Assert.Contains("data-scripts/prepare weights dinov2_vitb14_reg4", e.Message);
    }

    [Fact]
    public void The_cache_folder_follows_the_environment_variable_then_xdg_then_home()
    {
        var env = new Dictionary<string, string?> { [WeightsStore.EnvironmentVariable] = "/w", ["XDG_CACHE_HOME"] = "/xdg" };

        Assert.Equal("/w", WeightsStore.DefaultDirectory(k => env.GetValueOrDefault(k)));
        env[WeightsStore.EnvironmentVariable] = null;
        Assert.Equal("/xdg/anomalymoe/weights", WeightsStore.DefaultDirectory(k => env.GetValueOrDefault(k)));
        env["XDG_CACHE_HOME"] = "";
        Assert.EndsWith(".cache/anomalymoe/weights", WeightsStore.DefaultDirectory(k => env.GetValueOrDefault(k)));
    }

    [Fact]
    public async Task A_first_download_records_size_and_sha256_and_later_changes_are_caught()
    {
        using var dir = new TempDirectory();
        var body = new byte[4096];
        new Random(1).NextBytes(body);
        var handler = new FixedContent(body);
        var store = new WeightsStore(dir.Path);
        var downloader = new ResumableDownloader(new HttpClient(handler), new DownloadOptions(MaxAttempts: 1));

        var path = await store.FetchAsync("dinov2_vits14", downloader);

        var entry = store.ReadManifest()["dinov2_vits14"];
        Assert.Equal(body.Length, entry.Bytes);
        Assert.Equal(FileChecksum.Compute(path), entry.Sha256);
        Assert.Equal(path, store.RequirePath("dinov2_vits14"));
        Assert.Single(handler.Requests);

        // Same size, different bytes, newer time stamp: the hash check notices.
        var changed = (byte[])body.Clone();
        changed[0] ^= 1;
        File.WriteAllBytes(path, changed);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        var e = Assert.Throws<AnomalyMoEException>(() => store.RequirePath("dinov2_vits14"));
        Assert.Contains("SHA-256", e.Message);

        // A truncated file fails on size alone.
        File.WriteAllBytes(path, body[..100]);
        Assert.Contains("bytes", Assert.Throws<AnomalyMoEException>(() => store.RequirePath("dinov2_vits14")).Message);
    }

    [Fact]
    public async Task A_cached_checkpoint_is_not_downloaded_again()
    {
        using var dir = new TempDirectory();
        var handler = new FixedContent([1, 2, 3]);
        var store = new WeightsStore(dir.Path);
        var downloader = new ResumableDownloader(new HttpClient(handler), new DownloadOptions(MaxAttempts: 1));

        await store.FetchAsync("dinov2_vitl14_reg4", downloader);
        await store.FetchAsync("dinov2_vitl14_reg4", downloader);

        Assert.Single(handler.Requests);
    }

    [Fact]
    public void An_unknown_name_lists_the_known_ones()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => WeightsStore.Find("dinov2_vitx14"));
        Assert.Contains("dinov2_vitb14_reg4", e.Message);
    }
}
