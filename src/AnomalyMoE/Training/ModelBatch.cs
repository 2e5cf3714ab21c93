using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Experts;
using AnomalyMoE.Model;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Training;

/// <summary>
/// A loaded batch made into the model's input, the one way training, evaluation and the notebooks make it: the images on
/// the device and their token maps, the global experts' view and the token maps of that view (their loss target), and each
/// image's component masks. Everything is made in the caller's dispose scope; <see cref="MoveToOuterDisposeScope"/> keeps it
/// past that scope and <see cref="Dispose"/> frees it.
/// </summary>
/// <param name="Records">The batch's images, in order.</param>
/// <param name="Images">Normalised images <c>[B,3,H,W]</c> on the device.</param>
/// <param name="Tokens">The encoder's token maps of <paramref name="Images"/> at the model's taps.</param>
/// <param name="GlobalView">What image-space global experts see (<see cref="GlobalViewOf"/>); null when they read token maps or there are none.</param>
/// <param name="GlobalTokens">Token maps of the global experts' view, their loss target: the jittered view's own under
/// <see cref="GlobalExpertView.Jittered"/> training, otherwise <paramref name="Tokens"/> itself; null without global experts
/// or at evaluation without a loss.</param>
/// <param name="ComponentMasks">Per image its component masks <c>[n,H,W]</c>; null without component experts.</param>
/// <param name="TestTime">Whether the patch level runs on the test-time groups (<see cref="AnomalyMoEOptions.TestGroups"/>), as evaluation scores it.</param>
public sealed record ModelBatch(IReadOnlyList<ImageRecord> Records, Tensor Images, EncoderOutput Tokens, Tensor? GlobalView,
    EncoderOutput? GlobalTokens, IReadOnlyList<Tensor>? ComponentMasks, bool TestTime) : IDisposable
{
    /// <summary>The model's input, with the precomputed token maps.</summary>
    public AnomalyMoEInput Input => new(Images, GlobalView, ComponentMasks) { ImageTokens = Tokens, JitteredTokens = GlobalTokens, TestTime = TestTime };

    /// <summary>
    /// Training's batch: the image's token maps from <paramref name="features"/> (which encodes what it does not hold) and
    /// the global experts' view of <see cref="TrainingPreset.GlobalView"/>: the colour-jittered image with its own token maps
    /// as their target (reference), or the plain image with its cached maps, so a warm cache runs no encoder at all.
    /// </summary>
    public static ModelBatch ForTraining(ImageBatch batch, TrainingPreset preset, EncoderFeatureCache features, ComponentMaskSet? masks,
        Device device, IterationProfile? profile = null)
    {
        var options = preset.Model;
        var images = OnDevice(batch, device);
        var tokens = features.Encode(batch.Records, images);
        Tensor? globalView = null;
        EncoderOutput? globalTokens = null;
        if (options.GlobalExperts > 0)
        {
            var view = images;
            globalTokens = tokens;
            if (preset.GlobalView == GlobalExpertView.Jittered)
            {
                view = (batch.Jittered ?? throw new InvalidOperationException("The training loader must produce the jittered view.")).to(device);
                globalTokens = features.Encoder.Encode(view, options.TapLayers);
            }
            if (options.Global.Input == GlobalExpertInput.Image) globalView = GlobalViewOf(view, preset);
        }
        profile?.Lap("encoder");
        var componentMasks = ComponentMasksOf(batch, preset, masks, tokens, images);
        profile?.Lap("component masks");
        return new ModelBatch(batch.Records, images, tokens, globalView, globalTokens, componentMasks, TestTime: false);
    }

    /// <summary>
    /// Evaluation's batch: the global experts see the image itself, as in EfficientAD, whose autoencoder–student pair they
    /// are (colour jitter is a training augmentation, and a random view would add noise to every score), and the patch level
    /// runs on the test-time groups. <paramref name="withLossTarget"/> also hands the global experts the image's token maps
    /// as their target, so the loss terms can be computed on the batch (the notebooks' inspection).
    /// </summary>
    public static ModelBatch ForEvaluation(ImageBatch batch, TrainingPreset preset, IFeatureEncoder encoder, ComponentMaskSet? masks,
        Device device, bool withLossTarget = false)
    {
        var options = preset.Model;
        var images = OnDevice(batch, device);
        var tokens = encoder.Encode(images, options.TapLayers);
        var globalView = options.GlobalExperts > 0 && options.Global.Input == GlobalExpertInput.Image ? GlobalViewOf(images, preset) : null;
        var globalTokens = withLossTarget && options.GlobalExperts > 0 ? tokens : null;
        return new ModelBatch(batch.Records, images, tokens, globalView, globalTokens, ComponentMasksOf(batch, preset, masks, tokens, images), TestTime: true);
    }

    /// <summary>A view at the global experts' input size (bilinear when the crop is smaller).</summary>
    public static Tensor GlobalViewOf(Tensor view, TrainingPreset preset) =>
        view.shape[2] == preset.GlobalInputSize && view.shape[3] == preset.GlobalInputSize
            ? view.alias()
            : functional.interpolate(view, [preset.GlobalInputSize, preset.GlobalInputSize], mode: InterpolationMode.Bilinear, align_corners: false);

    /// <summary>The batch's images on <paramref name="device"/>, as a tensor of this batch's own (the loader's batch keeps its own).</summary>
    static Tensor OnDevice(ImageBatch batch, Device device)
    {
        var images = batch.Images.to(device);
        // Tensor.to hands back the same tensor when nothing moves.
        return ReferenceEquals(images, batch.Images) ? images.alias() : images;
    }

    static IReadOnlyList<Tensor>? ComponentMasksOf(ImageBatch batch, TrainingPreset preset, ComponentMaskSet? masks, EncoderOutput tokens, Tensor images) =>
        preset.Model.ComponentExperts > 0 && masks is not null ? masks.Masks(batch.Records, tokens, images.shape[2], images.shape[3]) : null;

    /// <summary>Keeps every tensor of the batch past the current dispose scope (the caller then disposes the batch).</summary>
    public ModelBatch MoveToOuterDisposeScope()
    {
        foreach (var t in Tensors()) t.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Every tensor the batch made, each once (the plain view's target is <see cref="Tokens"/> itself).</summary>
    IEnumerable<Tensor> Tensors()
    {
        var outputs = GlobalTokens is null || ReferenceEquals(GlobalTokens, Tokens) ? [Tokens] : new[] { Tokens, GlobalTokens };
        return outputs.SelectMany(o => o.Layers.Append(o.GlobalToken))
            .Append(Images)
            .Concat(GlobalView is null ? [] : [GlobalView])
            .Concat(ComponentMasks ?? []);
    }

    public void Dispose()
    {
        foreach (var t in Tensors()) t.Dispose();
    }
}
