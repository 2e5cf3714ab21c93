using System.Text.Json;
using AnomalyMoE.Data.Download;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Encoders;

/// <summary>A pretrained checkpoint the kit knows how to fetch.</summary>
public sealed record PretrainedWeights(string Name, string Architecture, int RegisterTokens, string Url, string Licence)
{
    public string FileName => Name + "_pretrain.pth";
}

/// <summary>What the manifest records about one fetched file: its size and SHA-256 when first downloaded.</summary>
public sealed record WeightsManifestEntry(string FileName, string Url, long Bytes, string Sha256, DateTime VerifiedWriteTimeUtc);

/// <summary>
/// The local cache of pretrained weights: <c>$ANOMALYMOE_WEIGHTS</c>, else <c>$XDG_CACHE_HOME/anomalymoe/weights</c>,
/// else <c>~/.cache/anomalymoe/weights</c>. Nothing is downloaded unless <see cref="FetchAsync"/> is called (the
/// <c>data-scripts/prepare weights NAME</c> command); <see cref="Require"/> only returns a path or says which command
/// fetches the file. A <c>manifest.json</c> records each file's size and SHA-256 on its first download; afterwards the
/// file is checked against it (hashed again only when its size or modification time changed).
/// </summary>
public sealed class WeightsStore
{
    public const string EnvironmentVariable = "ANOMALYMOE_WEIGHTS";
    public const string ManifestFile = "manifest.json";
    const string DinoV2BaseUrl = "https://dl.fbaipublicfiles.com/dinov2";
    const string DinoV2Licence = "Apache License 2.0 (DINOv2 code and weights, Meta Platforms)";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>
    /// The DINOv2 backbones (ViT-S/B/L, patch 14, with and without 4 registers), at the addresses the DINOv2
    /// project's torch.hub code builds: <c>&lt;base&gt;/dinov2_vit{s,b,l}14/&lt;name&gt;_pretrain.pth</c>.
    /// </summary>
    public static IReadOnlyList<PretrainedWeights> Catalog { get; } =
    [
        DinoV2("dinov2_vits14", "ViT-S/14", 0), DinoV2("dinov2_vitb14", "ViT-B/14", 0), DinoV2("dinov2_vitl14", "ViT-L/14", 0),
        DinoV2("dinov2_vits14_reg4", "ViT-S/14", 4), DinoV2("dinov2_vitb14_reg4", "ViT-B/14", 4), DinoV2("dinov2_vitl14_reg4", "ViT-L/14", 4),
    ];

    static PretrainedWeights DinoV2(string name, string architecture, int registers) =>
        new(name, architecture, registers, $"{DinoV2BaseUrl}/{name[..13]}/{name}_pretrain.pth", DinoV2Licence);

    public string Directory { get; }

    public WeightsStore(string? directory = null) => Directory = Path.GetFullPath(directory ?? DefaultDirectory());

    /// <summary>The cache folder from the environment, without creating it.</summary>
    public static string DefaultDirectory() => DefaultDirectory(Environment.GetEnvironmentVariable);

    internal static string DefaultDirectory(Func<string, string?> environment)
    {
        var env = environment(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return env;
        var xdg = environment("XDG_CACHE_HOME");
        var cache = !string.IsNullOrWhiteSpace(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "anomalymoe", "weights");
    }

    /// <summary>Looks a checkpoint up by name, listing the known names when it is unknown.</summary>
    public static PretrainedWeights Find(string name) =>
        Catalog.FirstOrDefault(w => string.Equals(w.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new AnomalyMoEException($"Unknown weights '{name}': expected one of {string.Join(", ", Catalog.Select(w => w.Name))}.");

    /// <summary>The command that downloads a checkpoint into the cache.</summary>
    public static string FetchCommand(string name) => $"data-scripts/prepare weights {name}";

    /// <summary>Path of a cached checkpoint in the default cache; throws naming the fetch command when it is missing.</summary>
    public static string Require(string name) => new WeightsStore().RequirePath(name);

    public string PathOf(string name) => Path.Combine(Directory, Find(name).FileName);

    /// <summary>Path of a cached checkpoint, checked against the manifest; never downloads.</summary>
    public string RequirePath(string name)
    {
        var weights = Find(name);
        var path = Path.Combine(Directory, weights.FileName);
        if (!File.Exists(path))
            throw new AnomalyMoEException(
                $"The {weights.Architecture} checkpoint '{weights.Name}' is not in the weights cache {Directory} "
                + $"(set {EnvironmentVariable} to use another folder). Fetch it once with: {FetchCommand(weights.Name)}");
        Verify(weights, path);
        return path;
    }

    /// <summary>
    /// Downloads a checkpoint (resuming a partial download) unless it is cached, records its size and SHA-256
    /// in the manifest on first download, and checks an existing file against the manifest.
    /// </summary>
    public async Task<string> FetchAsync(string name, ResumableDownloader downloader, TextWriter? log = null,
        IProgress<ProgressUpdate>? progress = null, CancellationToken cancel = default)
    {
        var weights = Find(name);
        var path = Path.Combine(Directory, weights.FileName);
        System.IO.Directory.CreateDirectory(Directory);
        if (File.Exists(path))
        {
            Verify(weights, path, forceHash: true);
            log?.WriteLine($"{weights.Name}: {path} is present and matches the manifest.");
            return path;
        }
        log?.WriteLine($"{weights.Name} ({weights.Architecture}, {weights.Licence})\n  downloading {weights.Url} → {path}");
        var known = ReadManifest().GetValueOrDefault(weights.Name);
        await downloader.DownloadAsync(new Uri(weights.Url), path, known?.Bytes,
            known is null ? null : FileChecksum.Sha256(known.Sha256), progress, cancel).ConfigureAwait(false);
        if (known is null) Record(weights, path, progress);
        else Touch(weights.Name, path);
        log?.WriteLine($"{weights.Name}: saved {new FileInfo(path).Length} bytes; size and SHA-256 are in {Path.Combine(Directory, ManifestFile)}.");
        return path;
    }

    /// <summary>The manifest's entries by checkpoint name (empty when there is none yet).</summary>
    public IReadOnlyDictionary<string, WeightsManifestEntry> ReadManifest()
    {
        var path = Path.Combine(Directory, ManifestFile);
        if (!File.Exists(path)) return new Dictionary<string, WeightsManifestEntry>();
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, WeightsManifestEntry>>(File.ReadAllText(path), Json)
                   ?? new Dictionary<string, WeightsManifestEntry>();
        }
        catch (JsonException e)
        {
            throw new AnomalyMoEException($"The weights manifest {path} is damaged ({e.Message}); delete it and fetch the weights again.", e);
        }
    }

    void Verify(PretrainedWeights weights, string path, bool forceHash = false)
    {
        var entry = ReadManifest().GetValueOrDefault(weights.Name);
        var info = new FileInfo(path);
        if (entry is null)
        {
            // A file placed by hand: adopt it, so later changes are noticed.
            Record(weights, path, null);
            return;
        }
        if (info.Length != entry.Bytes)
            throw new AnomalyMoEException(
                $"{path} has {info.Length} bytes but the manifest recorded {entry.Bytes} when it was downloaded: the file is damaged. "
                + $"Delete it and run {FetchCommand(weights.Name)}.");
        if (!forceHash && info.LastWriteTimeUtc == entry.VerifiedWriteTimeUtc) return;
        var sha = FileChecksum.Compute(path);
        if (sha != entry.Sha256)
            throw new AnomalyMoEException(
                $"SHA-256 of {path} is {sha} but the manifest recorded {entry.Sha256}: the file changed since it was downloaded. "
                + $"Delete it and run {FetchCommand(weights.Name)}.");
        Touch(weights.Name, path);
    }

    void Record(PretrainedWeights weights, string path, IProgress<ProgressUpdate>? progress)
    {
        var info = new FileInfo(path);
        var entry = new WeightsManifestEntry(weights.FileName, weights.Url, info.Length, FileChecksum.Compute(path, "sha256", progress), info.LastWriteTimeUtc);
        WriteManifest(weights.Name, entry);
    }

    void Touch(string name, string path)
    {
        var entry = ReadManifest()[name];
        WriteManifest(name, entry with { VerifiedWriteTimeUtc = new FileInfo(path).LastWriteTimeUtc });
    }

    void WriteManifest(string name, WeightsManifestEntry entry)
    {
        var all = new SortedDictionary<string, WeightsManifestEntry>(ReadManifest().ToDictionary(), StringComparer.Ordinal) { [name] = entry };
        var path = Path.Combine(Directory, ManifestFile);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(all, Json));
        File.Move(tmp, path, overwrite: true);
    }
}
