using AnomalyMoE.Data;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Encoders;

/// <summary>
/// Keeps the frozen encoder's token maps of training images in host memory so that later epochs skip the encoder.
/// Only for a view that never changes between epochs — the resized, centre-cropped image the patch and component
/// experts see; the colour-jittered view is drawn afresh every time and is always encoded. The encoder is frozen and in
/// eval mode, so a cached map is the map the encoder would compute again (up to the last bits of float arithmetic, which
/// may differ with the composition of the batch an image was first encoded in). Images that do not fit in
/// <see cref="BudgetBytes"/> are encoded every time.
/// </summary>
public sealed class EncoderFeatureCache : IDisposable
{
    readonly IFeatureEncoder encoder;
    readonly int[] layers;
    readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
    int gridH, gridW;

    sealed record Entry(Tensor[] Layers, Tensor GlobalToken, long Bytes);

    /// <param name="encoder">The frozen encoder.</param>
    /// <param name="layers">The tapped layers every call asks for.</param>
    /// <param name="budgetBytes">Host memory the cached maps may take (0 turns caching off).</param>
    public EncoderFeatureCache(IFeatureEncoder encoder, IReadOnlyList<int> layers, long budgetBytes)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (budgetBytes < 0) throw new ArgumentOutOfRangeException(nameof(budgetBytes), budgetBytes, "The feature cache budget must not be negative.");
        this.encoder = encoder;
        this.layers = [.. layers];
        BudgetBytes = budgetBytes;
    }

    /// <summary>The encoder behind the cache (for views that are not cached).</summary>
    public IFeatureEncoder Encoder => encoder;

    /// <summary>The most host memory the cached maps may take.</summary>
    public long BudgetBytes { get; }

    /// <summary>Host memory the cached maps take now.</summary>
    public long UsedBytes { get; private set; }

    /// <summary>Images held.</summary>
    public int Count => entries.Count;

    /// <summary>Batches served entirely from the cache.</summary>
    public long Hits { get; private set; }

    /// <summary>Batches that ran the encoder.</summary>
    public long Misses { get; private set; }

    /// <summary>
    /// The token maps of <paramref name="images"/> (<c>[B,3,H,W]</c> on the compute device; row i is <paramref name="records"/>[i]):
    /// assembled from the cache when every image is held, otherwise encoded — and the images not yet held are added while
    /// the budget allows. The caller owns the result.
    /// </summary>
    public EncoderOutput Encode(IReadOnlyList<ImageRecord> records, Tensor images)
    {
        if (records.Count != images.shape[0])
            throw new ArgumentException($"{records.Count} records for a batch of {images.shape[0]} images.", nameof(records));
        if (BudgetBytes > 0 && records.All(r => entries.ContainsKey(r.Path)))
        {
            Hits++;
            return Assemble(records, images.device);
        }
        Misses++;
        var output = encoder.Encode(images, layers);
        if (BudgetBytes > 0) Store(records, output);
        return output;
    }

    EncoderOutput Assemble(IReadOnlyList<ImageRecord> records, Device device)
    {
        using var scope = NewDisposeScope();
        var held = records.Select(r => entries[r.Path]).ToArray();
        var maps = Enumerable.Range(0, layers.Length)
            .Select(l => cat(held.Select(e => e.Layers[l]).ToArray(), 0).to(device).MoveToOuterDisposeScope())
            .ToArray();
        var global = cat(held.Select(e => e.GlobalToken).ToArray(), 0).to(device).MoveToOuterDisposeScope();
        return new EncoderOutput(maps, global, gridH, gridW);
    }

    void Store(IReadOnlyList<ImageRecord> records, EncoderOutput output)
    {
        using var scope = NewDisposeScope();
        if (entries.Count == 0)
        {
            gridH = output.GridH;
            gridW = output.GridW;
        }
        else if (output.GridH != gridH || output.GridW != gridW)
        {
            throw new AnomalyMoEException($"The encoder returned a {output.GridH}×{output.GridW} grid; the cache holds {gridH}×{gridW} maps. One cache serves one image size.");
        }
        long perImage = output.Layers.Sum(l => l.NumberOfElements * l.ElementSize) / records.Count
                        + output.GlobalToken.NumberOfElements * output.GlobalToken.ElementSize / records.Count;
        for (int i = 0; i < records.Count; i++)
        {
            var path = records[i].Path;
            if (entries.ContainsKey(path) || UsedBytes + perImage > BudgetBytes) continue;
            // Clones, so an entry does not keep the whole batch's storage alive.
            var maps = output.Layers.Select(l => l[i..(i + 1)].cpu().clone().DetachFromDisposeScope()).ToArray();
            var global = output.GlobalToken[i..(i + 1)].cpu().clone().DetachFromDisposeScope();
            entries[path] = new Entry(maps, global, perImage);
            UsedBytes += perImage;
        }
    }

    public void Dispose()
    {
        foreach (var e in entries.Values)
        {
            foreach (var t in e.Layers) t.Dispose();
            e.GlobalToken.Dispose();
        }
        entries.Clear();
        UsedBytes = 0;
    }
}
