using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Experts;
using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Engine;

/// <summary>
/// The <see cref="LayoutMemory"/> of each category of a run (<see cref="GlobalMapKind.LayoutMemory"/>), built from the
/// category's training normals and cached in the run's <c>layouts/</c> folder, and the global level's map of a batch.
/// </summary>
public sealed class LayoutMemorySet : IDisposable
{
    readonly Dictionary<string, LayoutMemory> memories;

    LayoutMemorySet(Dictionary<string, LayoutMemory> memories, int grid, int prefixTokens)
    {
        this.memories = memories;
        Grid = grid;
        PrefixTokens = prefixTokens;
    }

    public int Grid { get; }
    public int PrefixTokens { get; }

    /// <summary>The folder of a run's cached memories.</summary>
    public static string CacheDirectory(RunDirectory run) => Path.Combine(run.Root, "layouts");

    /// <summary>Loads each category's memory from <paramref name="cacheDirectory"/> or builds it from the category's training images.</summary>
    public static LayoutMemorySet FitOrLoad(string cacheDirectory, IEnumerable<CategoryInfo> categories, IFeatureEncoder encoder, TrainingPreset preset,
        Device device, IProgress<ProgressUpdate>? progress = null)
    {
        int grid = preset.Model.Global.LayoutGrid;
        Directory.CreateDirectory(cacheDirectory);
        var memories = new Dictionary<string, LayoutMemory>(StringComparer.Ordinal);
        try
        {
            foreach (var category in categories)
            {
                // v2: the file holds each normal's sequence (ImageSequences) beside its layout.
                var path = Path.Combine(cacheDirectory, $"{category.Key.Replace('/', '_')}__{encoder.Info.Name}__g{grid}.v2.pth");
                if (File.Exists(path))
                {
                    var loaded = TorchFile.LoadTensors(path);
                    try { memories[category.Key] = LayoutMemory.FromTensors(loaded, grid, path); }
                    finally { foreach (var t in loaded.Values) t.Dispose(); }
                    continue;
                }
                var train = category.Train.ToList();
                if (train.Count < 2)
                    throw new AnomalyMoEException($"Category '{category.Key}' has {train.Count} training image(s); the layout memory of --global-map layout-memory needs at least two.");
                using var layouts = EncodedImages.Collect(train, preset, encoder, device, tokens => Layouts(tokens, encoder.Info.PrefixTokens, grid),
                    progress, $"layout memory {category.Key}");
                var memory = LayoutMemory.Build(layouts, train.Select(r => LayoutMemory.ImageKey(r.Path)).ToList(), grid,
                    ImageSequences.Of(train.Select(r => r.Path).ToList()));
                var saved = memory.ToTensors();
                try { TorchFile.SaveTensors(saved, path); }
                finally { foreach (var t in saved.Values) t.Dispose(); }
                memories[category.Key] = memory;
            }
        }
        catch
        {
            foreach (var m in memories.Values) m.Dispose();
            throw;
        }
        return new LayoutMemorySet(memories, grid, encoder.Info.PrefixTokens);
    }

    /// <summary>The global level's map of a batch at the token grid, <c>[B, 1, gridH, gridW]</c>, each image against its category's memory.</summary>
    public Tensor Map(IReadOnlyList<ImageRecord> records, EncoderOutput tokens)
    {
        using var scope = NewDisposeScope();
        var layouts = Layouts(tokens, PrefixTokens, Grid);
        var maps = new List<Tensor>(records.Count);
        for (int b = 0; b < records.Count; b++)
        {
            var key = $"{records[b].Dataset}/{records[b].Category}";
            if (!memories.TryGetValue(key, out var memory))
                throw new AnomalyMoEException($"No layout memory was built for category '{key}'.");
            maps.Add(memory.Map(layouts[b..(b + 1)], [LayoutMemory.ImageKey(records[b].Path)]));
        }
        var cells = cat(maps, 0);
        return functional.interpolate(cells, [tokens.GridH, tokens.GridW], mode: InterpolationMode.Bilinear, align_corners: false)
            .MoveToOuterDisposeScope();
    }

    /// <summary>The layouts of the mean token map of the taps (the map PatchCore's bank and the component level read).</summary>
    static Tensor Layouts(EncoderOutput tokens, int prefixTokens, int grid)
    {
        using var map = ComponentFeatures.MeanTokenMap(tokens.Layers, prefixTokens, tokens.GridH, tokens.GridW);
        return LayoutMemory.Layouts(map, grid);
    }

    public void Dispose()
    {
        foreach (var m in memories.Values) m.Dispose();
    }
}
