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
            EncoderKind.TorchVisionResNet50 => TorchVision(TorchVisionResNetKind.ResNet50, preset, encoderWeights),
            EncoderKind.TorchVisionWideResNet50_2 => TorchVision(TorchVisionResNetKind.WideResNet50_2, preset, encoderWeights),
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

    static ResNetTokenEncoder TorchVision(TorchVisionResNetKind kind, TrainingPreset preset, string? weights)
    {
        var name = TorchVisionResNet.RegistryName(kind);
        if (weights is null) throw new AnomalyMoEException($"The {name} encoder of preset '{preset.Name}' needs its torchvision weights: give them with --encoder-weights FILE.pth.");
        return new ResNetTokenEncoder(TorchVisionResNet.Load(kind, weights));
    }

    /// <summary>
    /// <paramref name="preset"/> with a torchvision ResNet encoder in place of its own: the experts take the ResNet's token
    /// width (stage-2 + stage-3 channels) and the taps keep their count, shifted to end at the ResNet's last token map.
    /// </summary>
    public static TrainingPreset WithTorchVisionResNet(TrainingPreset preset, EncoderKind kind)
    {
        const int width = 512 + 1024, layers = 4;   // ResNet-50 / WRN-50-2: conv3_x + conv4_x channels; min(4, 6) block pairs
        var model = preset.Model;
        int shift = layers - 1 - model.TapLayers.Max();
        var taps = model.TapLayers.Select(t => t + shift).ToArray();
        if (taps.Min() < 0)
            throw new AnomalyMoEException($"--encoder: preset '{preset.Name}' taps {model.TapLayers.Length} layers spanning {model.TapLayers.Max() - model.TapLayers.Min() + 1}; a torchvision ResNet-50 has {layers} (use a cpu preset).");
        if (width % model.Patch.Heads != 0)
            throw new AnomalyMoEException($"--encoder: preset '{preset.Name}' has {model.Patch.Heads} attention heads, which do not divide the ResNet width {width}.");
        model = model with
        {
            EmbedDim = width,
            TapLayers = taps,
            Patch = model.Patch with { EmbedDim = width },
            Global = model.Global with { EmbedDim = width },
            Component = model.Component with { EmbedDim = width },
            Encoder = null,
        };
        return preset with { Encoder = kind, Model = model };
    }
}

/// <summary>
/// Where a run's component masks come from (<c>--component-masks</c>): <c>unsupervised</c> (segmenters fitted on the run's
/// own training images, the default) or <c>released:DIR</c> (the authors' precomputed heat images, <see cref="ReleasedComponentMasks"/>).
/// </summary>
public static class ComponentMaskSources
{
    public const string Unsupervised = "unsupervised";
    public const string ReleasedPrefix = "released:";

    /// <summary>The canonical spelling of <paramref name="text"/> (a released folder made absolute); an error for anything else.</summary>
    public static string Parse(string text)
    {
        if (text == Unsupervised) return Unsupervised;
        if (!text.StartsWith(ReleasedPrefix, StringComparison.Ordinal))
            throw new Switches.SwitchValueException($"choose {Unsupervised} (segmenters fitted on the run's training images) or {ReleasedPrefix}DIR (the released masks in DIR/<category>_heat_448).");
        var folder = text[ReleasedPrefix.Length..];
        if (folder.Length == 0 || !Directory.Exists(folder)) throw new Switches.SwitchValueException($"the released-mask folder '{folder}' does not exist.");
        return ReleasedPrefix + Path.GetFullPath(folder);
    }

    /// <summary>The released-mask folder of a source, or null for unsupervised masks.</summary>
    public static string? ReleasedRoot(string? source) =>
        source is not null && source.StartsWith(ReleasedPrefix, StringComparison.Ordinal) ? source[ReleasedPrefix.Length..] : null;
}

/// <summary>
/// The fitted component segmenters of the categories of a run (one per category, cached in the run folder), and the
/// per-image component masks of a batch computed from the batch's own token maps.
/// </summary>
public sealed class ComponentMaskSet : IDisposable
{
    readonly Dictionary<string, ComponentMaskModel> models;
    readonly Released? released;

    /// <summary>Released masks: their folder, the kept clusters per category key, and the preset's resize before its crop.</summary>
    sealed record Released(string Root, Dictionary<string, IReadOnlyList<int>> Kept, int ResizeTo)
    {
        // An image's index is its position in its folder's listing; one listing per folder.
        public System.Collections.Concurrent.ConcurrentDictionary<string, int> Indices { get; } = new(StringComparer.Ordinal);
    }

    ComponentMaskSet(Dictionary<string, ComponentMaskModel> models, int tap, int prefixTokens, Released? released = null)
    {
        this.models = models;
        this.released = released;
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
    /// <param name="source">A <see cref="ComponentMaskSources"/> spelling; null = unsupervised. Released masks are read per image
    /// instead (<see cref="ReadReleased"/>).</param>
    public static ComponentMaskSet FitOrLoad(string cacheDirectory, IEnumerable<CategoryInfo> categories, IFeatureEncoder encoder,
        TrainingPreset preset, Device device, IProgress<ProgressUpdate>? progress = null, string? source = null)
    {
        if (ComponentMaskSources.ReleasedRoot(source) is { } releasedRoot)
            return ReadReleased(releasedRoot, categories, preset, encoder.Info.PrefixTokens);
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

    /// <summary>
    /// The authors' released masks in <paramref name="root"/> (<c>&lt;category&gt;_heat_448/&lt;split&gt;/&lt;defect&gt;/&lt;index&gt;/heatresult&lt;i&gt;.jpg</c>),
    /// resized as the preset resizes images and centre-cropped to the batch's size. A category without its folder is an error naming it.
    /// </summary>
    public static ComponentMaskSet ReadReleased(string root, IEnumerable<CategoryInfo> categories, TrainingPreset preset, int prefixTokens)
    {
        var kept = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        foreach (var category in categories)
        {
            var folder = Path.Combine(root, $"{category.Category}_heat_{ReleasedComponentMasks.ReleasedSize}");
            if (!Directory.Exists(folder))
                throw new AnomalyMoEException($"--component-masks released:{root}: category '{category.Key}' has no released masks (expected the folder '{folder}').");
            kept[category.Key] = ReleasedComponentMasks.KeptComponents(root, category.Category);
        }
        return new ComponentMaskSet(new(StringComparer.Ordinal), preset.ComponentMaskTap, prefixTokens, new Released(root, kept, preset.Transform.ResizeTo));
    }

    /// <summary>Whether masks exist for a category key (<c>dataset/category</c>).</summary>
    public bool Has(string categoryKey) => released?.Kept.ContainsKey(categoryKey) ?? models.ContainsKey(categoryKey);

    /// <summary>
    /// The split folder an image sits in (<c>…/&lt;split&gt;/&lt;defect&gt;/&lt;file&gt;</c>), as the released masks are laid out;
    /// a training image held out for calibration keeps the folder its record's split no longer names.
    /// </summary>
    static string SplitFolder(ImageRecord record) => Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(record.Path))) ?? "";

    IReadOnlyList<Tensor> ReleasedMasks(Released source, IReadOnlyList<ImageRecord> records, long height, long width)
    {
        var result = new List<Tensor>(records.Count);
        foreach (var record in records)
        {
            var key = record.CategoryKey;
            if (!source.Kept.TryGetValue(key, out var kept)) throw new AnomalyMoEException($"No released component masks were read for category '{key}'.");
            var index = source.Indices.GetOrAdd(record.Path, ReleasedComponentMasks.ImageIndex);
            var folder = ReleasedComponentMasks.ImageFolder(source.Root, record.Category, SplitFolder(record), record.DefectType, index);
            if (!Directory.Exists(folder))
                throw new AnomalyMoEException($"The released component masks lack image '{record.Path}' (expected the folder '{folder}').");
            result.Add(ReleasedComponentMasks.Read(folder, kept, (int)height, (int)width, source.ResizeTo));
        }
        return result;
    }

    /// <summary>Component masks <c>[n,H,W]</c> (uint8) of each image of a batch from its token maps.</summary>
    public IReadOnlyList<Tensor> Masks(IReadOnlyList<ImageRecord> records, EncoderOutput tokens, long height, long width)
    {
        if (released is not null) return ReleasedMasks(released, records, height, width);
        using var scope = NewDisposeScope();
        var map = ComponentFeatures.MeanTokenMap([tokens.Layers[Tap]], PrefixTokens, tokens.GridH, tokens.GridW);
        var result = new List<Tensor>(records.Count);
        for (int b = 0; b < records.Count; b++)
        {
            var key = records[b].CategoryKey;
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
