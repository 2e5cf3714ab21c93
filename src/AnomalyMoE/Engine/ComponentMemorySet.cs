using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Experts;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using static TorchSharp.torch;

namespace AnomalyMoE.Engine;

/// <summary>
/// The <see cref="ComponentMemory"/> of each category of a run (<see cref="ComponentMapKind.Memory"/>), built from the
/// category's training normals with the run's component masks, and the component level's map of a batch.
/// <para>
/// As with <see cref="LayoutMemorySet"/>, a category whose training images form fewer than
/// <see cref="ComponentExpertOptions.MemoryMinimumSequences"/> independent sequences keeps the trained experts' map (scored alone, left out of the fused score), and
/// so does one whose images do not all have the same components (released masks may differ per image); <see cref="Notes"/>
/// says which and why. The memory is rebuilt whenever a detector opens (it costs one encoder pass over the training
/// images), so it always matches the run's current masks.
/// </para>
/// </summary>
public sealed class ComponentMemorySet : IDisposable
{
    readonly Dictionary<string, ComponentMemory> memories;

    ComponentMemorySet(Dictionary<string, ComponentMemory> memories, IReadOnlyList<string> notes)
    {
        this.memories = memories;
        Notes = notes;
    }

    /// <summary>One line per category that keeps the trained component map, naming it and why.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Whether the component level of <paramref name="record"/>'s category is scored by a memory.</summary>
    public bool Covers(ImageRecord record) => memories.ContainsKey(record.CategoryKey);

    /// <summary>Builds each category's memory from its training images' component features.</summary>
    public static ComponentMemorySet Fit(IEnumerable<CategoryInfo> categories, IFeatureEncoder encoder, ComponentMaskSet masks, TrainingPreset preset,
        Device device, IProgress<ProgressUpdate>? progress = null)
    {
        var o = preset.Model;
        int minimum = o.Component.MemoryMinimumSequences;
        var memories = new Dictionary<string, ComponentMemory>(StringComparer.Ordinal);
        var notes = new List<string>();
        try
        {
            foreach (var category in categories)
            {
                var train = category.Train.ToList();
                if (MemoryCoverage.Sequences(category, train, minimum, "component", "component memory", notes) is not { } sequences) continue;
                var counts = new List<int>();
                using var features = EncodedImages.Collect(train, preset, encoder, device, (batch, tokens) =>
                {
                    var imageMasks = masks.Masks(batch.Records, tokens, batch.Images.shape[2], batch.Images.shape[3]);
                    try
                    {
                        using var source = ComponentFeatures.MeanTokenMap(o.ComponentTaps.Select(i => tokens.Layers[i]).ToArray(), encoder.Info.PrefixTokens,
                            tokens.GridH, tokens.GridW);
                        using var components = ComponentFeatures.Extract(source, imageMasks, o.ComponentDilation);
                        counts.AddRange(components.Counts);
                        return components.Features.clone();
                    }
                    finally { foreach (var m in imageMasks) m.Dispose(); }
                }, progress, $"component memory {category.Key}");
                if (counts.Count == 0 || counts[0] == 0 || counts.Any(c => c != counts[0]))
                {
                    notes.Add($"{category.Key} keeps the trained component map, scored alone and left out of the fused score: its training images do not all have the same components " +
                        $"({string.Join(", ", counts.Distinct().Order())} per image).");
                    continue;
                }
                using var perImage = features.view(train.Count, counts[0], -1);
                memories[category.Key] = ComponentMemory.Build(perImage, train.Select(r => LayoutMemory.ImageKey(r.Path)).ToList(), sequences);
            }
        }
        catch
        {
            foreach (var m in memories.Values) m.Dispose();
            throw;
        }
        return new ComponentMemorySet(memories, notes);
    }

    /// <summary>
    /// The component level's map of a batch at image resolution, <c>[B, 1, H, W]</c>: each covered image's components
    /// (<paramref name="components"/>, in batch order) scored against its category's memory and painted on their masks,
    /// any other image keeping <paramref name="trainedMap"/>'s row.
    /// </summary>
    public Tensor Map(IReadOnlyList<ImageRecord> records, ComponentBatch components, IReadOnlyList<Tensor> masks, Tensor trainedMap)
    {
        using var scope = NewDisposeScope();
        var rows = new List<Tensor>(records.Count);
        int start = 0;
        for (int b = 0; b < records.Count; b++)
        {
            int count = components.Counts[b];
            var features = components.Features[start..(start + count)];
            start += count;
            if (!memories.TryGetValue(records[b].CategoryKey, out var memory))
            {
                rows.Add(trainedMap[b..(b + 1)]);
                continue;
            }
            if (count != memory.Components)
                throw new AnomalyMoEException($"'{records[b].Path}' has {count} components, but the component memory of '{records[b].CategoryKey}' " +
                    $"holds {memory.Components} per image; its masks do not match the category's training images'.");
            var scores = memory.Scores(features, LayoutMemory.ImageKey(records[b].Path));
            rows.Add(ComponentFeatures.AnomalyMap(scores, [masks[b]], [count], trainedMap.shape[2], trainedMap.shape[3]).to(trainedMap.dtype));
        }
        return cat(rows, 0).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var m in memories.Values) m.Dispose();
    }
}
