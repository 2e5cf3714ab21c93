using AnomalyMoE.Components;
using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Encoders.Dinov2;
using AnomalyMoE.Encoders.ResNet;
using AnomalyMoE.Experts;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Training;

/// <summary>Builds the frozen encoder a preset names.</summary>
public static class EncoderFactory
{
    /// <summary>
    /// The preset's encoder on <paramref name="device"/>, computing in <paramref name="precision"/> (its weights are
    /// converted before the move, so a bfloat16 encoder crosses to the GPU at half the size). Its outputs are float32 either way.
    /// </summary>
    public static IFeatureEncoder Create(TrainingPreset preset, string? encoderWeights, Device device,
        EncoderPrecision precision = EncoderPrecision.Float32)
    {
        TorchRuntime.EnsureLoaded();
        IFeatureEncoder encoder = preset.Encoder switch
        {
            EncoderKind.ResNet18Onnx => ResNetTokenEncoder.LoadResNet18Onnx(),
            EncoderKind.Dinov2 => Dinov2Encoder.Load(
                encoderWeights ?? throw new AnomalyMoEException($"Preset '{preset.Name}' runs a DINOv2 encoder: give its weights with --encoder-weights FILE."),
                preset.Model.Encoder!),
            _ => throw new AnomalyMoEException($"Unknown encoder kind {preset.Encoder}."),
        };
        try
        {
            encoder = encoder.WithPrecision(precision);
            encoder.MoveTo(device);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
        return encoder;
    }
}

/// <summary>
/// The fitted component segmenters of the categories of a run (one per category, cached in the run folder), and the
/// per-image component masks of a batch computed from the batch's own token maps.
/// </summary>
public sealed class ComponentMaskSet : IDisposable
{
    readonly Dictionary<string, ComponentMaskModel> models;

    ComponentMaskSet(Dictionary<string, ComponentMaskModel> models, int tap, int prefixTokens)
    {
        this.models = models;
        Tap = tap;
        PrefixTokens = prefixTokens;
    }

    /// <summary>Index of the tapped token map the masks come from.</summary>
    public int Tap { get; }
    public int PrefixTokens { get; }

    /// <summary>
    /// Loads each category's segmenter from <paramref name="cacheDirectory"/> or fits it on the category's training images
    /// (train.py reads masks precomputed by segment_image.py; here they are computed once per run and cached).
    /// </summary>
    public static ComponentMaskSet FitOrLoad(string cacheDirectory, IEnumerable<CategoryInfo> categories, IFeatureEncoder encoder,
        TrainingPreset preset, Device device, IProgress<ProgressUpdate>? progress = null)
    {
        Directory.CreateDirectory(cacheDirectory);
        var models = new Dictionary<string, ComponentMaskModel>(StringComparer.Ordinal);
        int layer = preset.Model.TapLayers[preset.ComponentMaskTap];
        foreach (var category in categories)
        {
            var train = category.Train.ToList();
            if (train.Count == 0) throw new AnomalyMoEException($"Category '{category.Key}' has no training images to fit its component masks on.");
            var loader = new ImageBatchLoader(train, preset.Transform, new BatchLoaderOptions(preset.EvaluationBatchSize, WithJitter: false));
            IEnumerable<Tensor> Images()
            {
                foreach (var batch in loader.Batches())
                {
                    using (batch)
                    using (var images = batch.Images.to(device))
                        yield return images;
                }
            }
            models[category.Key] = UnsupervisedComponentMasks.FitOrLoad(cacheDirectory, category.Key, encoder, layer, Images,
                preset.ComponentMasks, progress, loader.BatchesPerEpoch);
        }
        return new ComponentMaskSet(models, preset.ComponentMaskTap, encoder.Info.PrefixTokens);
    }

    /// <summary>Whether a segmenter exists for a category key (<c>dataset/category</c>).</summary>
    public bool Has(string categoryKey) => models.ContainsKey(categoryKey);

    /// <summary>Component masks <c>[n,H,W]</c> (uint8) of each image of a batch from its token maps.</summary>
    public IReadOnlyList<Tensor> Masks(IReadOnlyList<ImageRecord> records, EncoderOutput tokens, long height, long width)
    {
        using var scope = NewDisposeScope();
        var map = ComponentFeatures.MeanTokenMap([tokens.Layers[Tap]], PrefixTokens, tokens.GridH, tokens.GridW);
        var result = new List<Tensor>(records.Count);
        for (int b = 0; b < records.Count; b++)
        {
            var key = $"{records[b].Dataset}/{records[b].Category}";
            if (!models.TryGetValue(key, out var model))
                throw new AnomalyMoEException($"No component segmenter was fitted for category '{key}'.");
            var masks = model.Masks(map[b..(b + 1)], height, width);
            result.Add(masks[0].MoveToOuterDisposeScope());
            for (int i = 1; i < masks.Count; i++) masks[i].Dispose();
        }
        return result;
    }

    public void Dispose()
    {
        foreach (var m in models.Values) m.Dispose();
        models.Clear();
    }
}
