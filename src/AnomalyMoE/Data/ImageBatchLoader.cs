using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using AnomalyMoE.Runtime;
using TorchSharp;

namespace AnomalyMoE.Data;

/// <summary>
/// Turns image records into <see cref="ImageBatch"/>es. A background task decodes and transforms the next
/// batches (images of one batch in parallel) while the consumer computes on the current one; a bounded
/// channel of <see cref="BatchLoaderOptions.PrefetchBatches"/> batches holds them. Order and jitter depend
/// only on the seed and the position in the stream, never on thread timing.
/// </summary>
public sealed class ImageBatchLoader
{
    readonly IReadOnlyList<ImageRecord> records;
    readonly ImageTransformOptions transform;
    readonly BatchLoaderOptions options;
    readonly ConcurrentDictionary<string, string> skipped = new(StringComparer.Ordinal);

    /// <remarks>A ground-truth mask whose size differs from its image's is an error naming both files (<see cref="ImageDecoder.RequireMaskSize"/>).</remarks>
    public ImageBatchLoader(IReadOnlyList<ImageRecord> records, ImageTransformOptions transform, BatchLoaderOptions options)
    {
        if (records.Count == 0) throw new AnomalyMoEException("The batch loader was given no images.");
        this.records = records;
        this.transform = transform.Validate();
        this.options = options.Validate();
    }

    public int Count => records.Count;

    /// <summary>Batches in one pass over the records (<see cref="BatchLoaderOptions.DropLast"/> respected).</summary>
    public int BatchesPerEpoch => options.DropLast || options.Endless
        ? records.Count / options.BatchSize
        : (records.Count + options.BatchSize - 1) / options.BatchSize;

    /// <summary>Files left out because they could not be decoded (only with <see cref="BatchLoaderOptions.SkipUnreadableImages"/>), with the reason.</summary>
    public IReadOnlyDictionary<string, string> SkippedFiles => new Dictionary<string, string>(skipped, StringComparer.Ordinal);

    public int SkippedCount => skipped.Count;

    /// <summary>The record indices of one epoch in the order they are served.</summary>
    public int[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, records.Count).ToArray();
        if (!options.Shuffle) return order;
        var random = new Random(SeedFor(options.Seed, epoch, stream: 1));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// The batches, produced in the background. Each enumeration starts again from the beginning with the same
    /// seed-determined order. Stopping early (break, dispose, cancellation) stops the producer and disposes the
    /// batches it had prefetched; batches already handed out belong to the caller.
    /// </summary>
    public IEnumerable<ImageBatch> Batches(CancellationToken cancellationToken = default)
    {
        TorchRuntime.EnsureLoaded();
        var channel = Channel.CreateBounded<ImageBatch>(new BoundedChannelOptions(options.PrefetchBatches)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        var producer = Task.Run(async () =>
        {
            try
            {
                await ProduceAsync(channel.Writer, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        });
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (channel.Reader.TryRead(out var batch))
                {
                    yield return batch;
                    continue;
                }
                if (!channel.Reader.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult()) break;
            }
            producer.GetAwaiter().GetResult();
            if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
        }
        finally
        {
            stop.Cancel();
            try { producer.Wait(); } catch (AggregateException) { }
            while (channel.Reader.TryRead(out var left)) left.Dispose();
        }
    }

    /// <summary>One planned batch: the records and their positions in the endless stream (which seed their jitter).</summary>
    readonly record struct PlannedBatch(int Epoch, int[] RecordIndices, long[] StreamPositions);

    IEnumerable<PlannedBatch> Plan()
    {
        int size = options.BatchSize;
        var indices = new List<int>(size);
        var positions = new List<long>(size);
        long position = 0;
        int batchEpoch = 0;
        for (int epoch = 0; ; epoch++)
        {
            foreach (var index in EpochOrder(epoch))
            {
                if (indices.Count == 0) batchEpoch = epoch;
                indices.Add(index);
                positions.Add(position++);
                if (indices.Count == size)
                {
                    yield return new PlannedBatch(batchEpoch, indices.ToArray(), positions.ToArray());
                    indices.Clear();
                    positions.Clear();
                }
            }
            if (!options.Endless)
            {
                if (indices.Count > 0 && !options.DropLast) yield return new PlannedBatch(batchEpoch, indices.ToArray(), positions.ToArray());
                yield break;
            }
            if (skipped.Count >= records.Count)
                throw new AnomalyMoEException($"None of the {records.Count} images could be decoded; first failure: {skipped.First().Key}: {skipped.First().Value}");
        }
    }

    async Task ProduceAsync(ChannelWriter<ImageBatch> writer, CancellationToken token)
    {
        int crop = transform.CropTo;
        int imageSize = 3 * crop * crop, maskSize = crop * crop;
        var parallel = new ParallelOptions
        {
            CancellationToken = token,
            MaxDegreeOfParallelism = options.DecodeThreads > 0 ? options.DecodeThreads : Environment.ProcessorCount,
        };
        foreach (var plan in Plan())
        {
            token.ThrowIfCancellationRequested();
            int n = plan.RecordIndices.Length;
            var images = new float[n * imageSize];
            var jittered = options.WithJitter ? new float[n * imageSize] : null;
            var masks = new float[n * maskSize];
            var ok = new bool[n];
            try
            {
                Parallel.For(0, n, parallel, i =>
                {
                    var record = records[plan.RecordIndices[i]];
                    ok[i] = LoadSample(record, plan.StreamPositions[i],
                        images.AsSpan(i * imageSize, imageSize),
                        jittered is null ? Span<float>.Empty : jittered.AsSpan(i * imageSize, imageSize),
                        masks.AsSpan(i * maskSize, maskSize));
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                // Report the failing file itself, not the parallel loop's wrapper.
                ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
            int kept = ok.Count(x => x);
            if (kept == 0) continue;
            if (kept < n)
            {
                images = Compact(images, ok, imageSize);
                jittered = jittered is null ? null : Compact(jittered, ok, imageSize);
                masks = Compact(masks, ok, maskSize);
            }
            var batchRecords = plan.RecordIndices.Where((_, i) => ok[i]).Select(i => records[i]).ToArray();
            // The batch belongs to the consumer alone: a dispose scope some earlier work left open on this pool thread
            // must not take (and free) its tensors.
            var batch = new ImageBatch(
                torch.tensor(images, [kept, 3, crop, crop]).DetachFromDisposeScope(),
                jittered is null ? null : torch.tensor(jittered, [kept, 3, crop, crop]).DetachFromDisposeScope(),
                torch.tensor(masks, [kept, 1, crop, crop]).DetachFromDisposeScope(),
                batchRecords,
                plan.Epoch);
            try
            {
                await writer.WriteAsync(batch, token).ConfigureAwait(false);
            }
            catch
            {
                batch.Dispose();
                throw;
            }
        }
    }

    /// <summary>Decodes and transforms one record into its slots; false when it was skipped as unreadable.</summary>
    bool LoadSample(ImageRecord record, long streamPosition, Span<float> image, Span<float> jittered, Span<float> mask)
    {
        if (skipped.ContainsKey(record.Path) || (record.MaskPath is { } m && skipped.ContainsKey(m))) return false;
        RgbImage rgb;
        BinaryMask? binary = null;
        try
        {
            rgb = ImageDecoder.DecodeRgb(record.Path);
            if (record.MaskPath is { } maskPath) binary = ImageDecoder.DecodeMask(maskPath);
        }
        catch (ImageDecodeException e) when (options.SkipUnreadableImages)
        {
            skipped.TryAdd(e.FilePath, e.Message);
            return false;
        }
        if (binary is not null) ImageDecoder.RequireMaskSize(record.MaskPath!, (binary.Width, binary.Height), record.Path, (rgb.Width, rgb.Height));

        if (jittered.IsEmpty)
        {
            ImageTransforms.TransformImage(rgb, transform, image);
        }
        else
        {
            var choice = JitterChoice.Sample(new Random(SeedFor(options.Seed, streamPosition, stream: 2)), transform.JitterStrength);
            ImageTransforms.TransformImageViews(rgb, transform, image, jittered, choice);
        }
        ImageTransforms.TransformMask(binary, transform, mask);
        return true;
    }

    static float[] Compact(float[] values, bool[] ok, int stride)
    {
        var result = new float[ok.Count(x => x) * stride];
        int at = 0;
        for (int i = 0; i < ok.Length; i++)
        {
            if (!ok[i]) continue;
            Array.Copy(values, i * stride, result, at * stride, stride);
            at++;
        }
        return result;
    }

    /// <summary>A 31-bit seed from (seed, counter, stream) by SplitMix64 mixing, so neighbouring counters give unrelated draws.</summary>
    internal static int SeedFor(int seed, long counter, int stream)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)counter * 0xBF58476D1CE4E5B9UL ^ (ulong)stream * 0x94D049BB133111EBUL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }
}
