using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Engine;

/// <summary>
/// The <see cref="LayoutMemory"/> of each category of a run (<see cref="GlobalMapKind.LayoutMemory"/>), built from the
/// category's training normals and cached in the run's <c>layouts/</c> folder, and the global level's map of a batch.
/// <para>
/// A nearest-normal memory is only as good as its normals' coverage, and its leave-one-out calibration only sees that
/// coverage when the normals are independent. A category whose training images come in fewer than
/// <see cref="GlobalExpertOptions.LayoutMinimumSequences"/> sequences (<see cref="ImageSequences"/>: two video clips of eight frames, say) gets no
/// memory: its global level keeps the trained experts' map, scored alone but left out of the fused score, and <see cref="Notes"/> says so. Measured on the quickstart's
/// synthetic video, whose two training clips leave the test clips' layouts 2.3× farther from the nearest training frame
/// than the clips are from each other (docs/engine.md, Global map).
/// </para>
/// </summary>
public sealed class LayoutMemorySet : IDisposable
{
    readonly Dictionary<string, LayoutMemory> memories;

    LayoutMemorySet(Dictionary<string, LayoutMemory> memories, int grid, int prefixTokens, IReadOnlyList<string> notes)
    {
        this.memories = memories;
        Grid = grid;
        PrefixTokens = prefixTokens;
        Notes = notes;
    }

    public int Grid { get; }
    public int PrefixTokens { get; }

    /// <summary>One line per category that keeps the trained global map, naming it and why.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The folder of a run's cached memories.</summary>
    public static string CacheDirectory(RunDirectory run) => Path.Combine(run.Root, "layouts");

    /// <summary>Whether the global level of <paramref name="record"/>'s category is scored by a memory.</summary>
    public bool Covers(ImageRecord record) => memories.ContainsKey(record.CategoryKey);

    /// <summary>Loads each category's memory from <paramref name="cacheDirectory"/> or builds it from the category's training images.</summary>
    public static LayoutMemorySet FitOrLoad(string cacheDirectory, IEnumerable<CategoryInfo> categories, IFeatureEncoder encoder, TrainingPreset preset,
        Device device, IProgress<ProgressUpdate>? progress = null)
    {
        int grid = preset.Model.Global.LayoutGrid, minimum = preset.Model.Global.LayoutMinimumSequences;
        Directory.CreateDirectory(cacheDirectory);
        var memories = new Dictionary<string, LayoutMemory>(StringComparer.Ordinal);
        var notes = new List<string>();
        try
        {
            foreach (var category in categories)
            {
                var train = category.Train.ToList();
                if (MemoryCoverage.Sequences(category, train, minimum, "global", "layout memory", notes) is not { } sequences) continue;
                // v2: the file holds each normal's sequence (ImageSequences) beside its layout.
                var path = Path.Combine(cacheDirectory, $"{category.Key.Replace('/', '_')}__{encoder.Info.Name}__g{grid}.v2.pth");
                if (File.Exists(path))
                {
                    var loaded = TorchFile.LoadTensors(path);
                    try { memories[category.Key] = LayoutMemory.FromTensors(loaded, grid, path); }
                    finally { foreach (var t in loaded.Values) t.Dispose(); }
                    continue;
                }
                using var layouts = EncodedImages.Collect(train, preset, encoder, device, tokens => Layouts(tokens, encoder.Info.PrefixTokens, grid),
                    progress, $"layout memory {category.Key}");
                var memory = LayoutMemory.Build(layouts, train.Select(r => LayoutMemory.ImageKey(r.Path)).ToList(), grid, sequences);
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
        return new LayoutMemorySet(memories, grid, encoder.Info.PrefixTokens, notes);
    }

    /// <summary>
    /// The global level's map of a batch at image resolution, <c>[B, 1, H, W]</c>: each image of a covered category
    /// (<see cref="Covers"/>) against its category's memory, any other image keeping <paramref name="trainedMap"/>'s row.
    /// </summary>
    public Tensor Map(IReadOnlyList<ImageRecord> records, EncoderOutput tokens, Tensor trainedMap)
    {
        using var scope = NewDisposeScope();
        var layouts = Layouts(tokens, PrefixTokens, Grid);
        var rows = new List<Tensor>(records.Count);
        for (int b = 0; b < records.Count; b++)
        {
            if (!memories.TryGetValue(records[b].CategoryKey, out var memory))
            {
                rows.Add(trainedMap[b..(b + 1)]);
                continue;
            }
            var cells = memory.Map(layouts[b..(b + 1)], [LayoutMemory.ImageKey(records[b].Path)]);
            var atGrid = functional.interpolate(cells, [tokens.GridH, tokens.GridW], mode: InterpolationMode.Bilinear, align_corners: false);
            rows.Add(LevelMaps.ToImage(atGrid, trainedMap.shape[2], trainedMap.shape[3]).to(trainedMap.dtype));
        }
        return cat(rows, 0).MoveToOuterDisposeScope();
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
