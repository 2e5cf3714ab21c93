using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data;

/// <summary>
/// How <see cref="ImageBatchLoader"/> orders, groups and prefetches images.
/// </summary>
/// <param name="BatchSize">Images per batch.</param>
/// <param name="Shuffle">Draw a new order every epoch (seeded); otherwise the records' order.</param>
/// <param name="Seed">Fixes the order and the per-image jitter: the same seed gives the same batches.</param>
/// <param name="Endless">Run epoch after epoch (training by iterations); batches then always hold
/// <see cref="BatchSize"/> images and may span an epoch boundary.</param>
/// <param name="DropLast">In a single pass, leave out the last batch when it is smaller than <see cref="BatchSize"/>.</param>
/// <param name="WithJitter">Also produce the colour-jittered view (<see cref="ImageBatch.Jittered"/>).</param>
/// <param name="PrefetchBatches">Batches decoded ahead of the consumer.</param>
/// <param name="DecodeThreads">Images decoded in parallel within a batch; 0 = one per core.</param>
/// <param name="SkipUnreadableImages">Leave out images that fail to decode (see <see cref="ImageBatchLoader.SkippedFiles"/>)
/// instead of stopping with an error naming the file.</param>
public sealed record BatchLoaderOptions(
    int BatchSize,
    bool Shuffle = false,
    int Seed = 0,
    bool Endless = false,
    bool DropLast = false,
    bool WithJitter = true,
    int PrefetchBatches = 2,
    int DecodeThreads = 0,
    bool SkipUnreadableImages = false)
{
    /// <summary>The reference training loader: batch 8, shuffled, endless, both views.</summary>
    public static BatchLoaderOptions Training { get; } = new(8, Shuffle: true, Seed: 42, Endless: true);

    /// <summary>One ordered pass with both views (the reference also feeds the jittered view at test time).</summary>
    public static BatchLoaderOptions Evaluation { get; } = new(8);

    public BatchLoaderOptions Validate()
    {
        if (BatchSize <= 0) throw new AnomalyMoEException($"BatchLoaderOptions.BatchSize must be positive, got {BatchSize}.");
        if (PrefetchBatches <= 0) throw new AnomalyMoEException($"BatchLoaderOptions.PrefetchBatches must be positive, got {PrefetchBatches}.");
        if (DecodeThreads < 0) throw new AnomalyMoEException($"BatchLoaderOptions.DecodeThreads must be 0 (one per core) or positive, got {DecodeThreads}.");
        return this;
    }
}
