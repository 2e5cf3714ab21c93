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
        Func<EncoderOutput, Tensor> extract, IProgress<ProgressUpdate>? progress = null, string? step = null)
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
                    using var tokens = encoder.Encode(batch.Images.to(device), preset.Model.TapLayers);
                    parts.Add(extract(tokens).cpu().DetachFromDisposeScope());
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
