using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using static TorchSharp.torch;

namespace AnomalyMoE.Engine;

/// <summary>What the engine fits per category from the category's training images (PatchCore banks, layout memories) starts here.</summary>
public static class EncodedImages
{
    /// <summary>
    /// <paramref name="extract"/> of each batch of <paramref name="records"/> (the preset's transform, no jitter, encoded at
    /// the preset's taps on <paramref name="device"/>), concatenated along the first dimension on the CPU.
    /// </summary>
    public static Tensor Collect(IReadOnlyList<ImageRecord> records, TrainingPreset preset, IFeatureEncoder encoder, Device device,
        Func<EncoderOutput, Tensor> extract, IProgress<ProgressUpdate>? progress = null, string? step = null) =>
        Collect(records, preset, encoder, device, (_, tokens) => extract(tokens), progress, step);

    /// <summary>As above, with each batch's records and images (on <paramref name="device"/>) handed to <paramref name="extract"/> beside its token maps.</summary>
    public static Tensor Collect(IReadOnlyList<ImageRecord> records, TrainingPreset preset, IFeatureEncoder encoder, Device device,
        Func<(IReadOnlyList<ImageRecord> Records, Tensor Images), EncoderOutput, Tensor> extract, IProgress<ProgressUpdate>? progress = null, string? step = null)
    {
        var loader = new ImageBatchLoader(records, preset.Transform, new BatchLoaderOptions(preset.EvaluationBatchSize, WithJitter: false));
        var parts = new List<Tensor>();
        try
        {
            int done = 0;
            foreach (var batch in loader.Batches())
            {
                using (batch)
                using (var scope = NewDisposeScope())
                {
                    var images = batch.Images.to(device);
                    using var tokens = encoder.Encode(images, preset.Model.TapLayers);
                    parts.Add(extract((batch.Records, images), tokens).cpu().DetachFromDisposeScope());
                }
                done += batch.Count;
                if (step is not null) progress.Report(step, done, records.Count);
            }
            return cat(parts, 0);
        }
        finally
        {
            foreach (var t in parts) t.Dispose();
        }
    }
}
