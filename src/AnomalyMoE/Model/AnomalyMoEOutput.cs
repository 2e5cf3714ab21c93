using AnomalyMoE.Encoders;
using AnomalyMoE.Experts;
using AnomalyMoE.Objectives;
using AnomalyMoE.Routing;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Model;

/// <summary>
/// One batch for <see cref="AnomalyMoEModel"/>: the normalised image, its colour-jittered view (what the global experts
/// see) and each image's component masks (<c>[n_i,H,W]</c>, nonzero = inside; null when there are none).
/// Precomputed encoder outputs may be given instead of running the model's encoder (not owned by the input).
/// </summary>
public sealed record AnomalyMoEInput(Tensor? Image, Tensor? JitteredImage, IReadOnlyList<Tensor>? ComponentMasks = null)
{
    /// <summary>Token maps of <see cref="Image"/> at the model's tap layers, with the class token after the last block.</summary>
    public EncoderOutput? ImageTokens { get; init; }

    /// <summary>Token maps of <see cref="JitteredImage"/> at the tap layers (the global experts' loss target).</summary>
    public EncoderOutput? JitteredTokens { get; init; }

    /// <summary>
    /// Score the patch level on the test-time groups (<see cref="AnomalyMoEOptions.TestGroups"/>) instead of the training
    /// groups. Set by evaluation; training and the training-side parity checks leave it off.
    /// </summary>
    public bool TestTime { get; init; }
}

/// <summary>
/// One patch expert's output: its decoder map per group <c>[B,D,h,w]</c>, each produced through a
/// <see cref="GradientGate"/> so hard mining can rescale the map's whole gradient. Owns its tensors and gates.
/// </summary>
public sealed class PatchExpertResult(Tensor[] decoderMaps, GradientGate[] gates) : IDisposable
{
    public IReadOnlyList<Tensor> DecoderMaps { get; } = decoderMaps;
    public IReadOnlyList<GradientGate> Gates { get; } = gates;

    /// <summary>The expert's EIR feature <c>[B,D]</c>: the spatial mean of the last group's decoder map (reference <c>features</c>).</summary>
    public Tensor Feature() => DecoderMaps[^1].mean([2, 3]);

    public void Dispose()
    {
        foreach (var m in DecoderMaps) m.Dispose();
        foreach (var g in Gates) g.Dispose();
    }
}

/// <summary>One global expert's output: autoencoder map <c>[B,D,s,s]</c> and student map <c>[B,D,h,w]</c>. Owns them.</summary>
public sealed record GlobalExpertResult(Tensor Autoencoder, Tensor Student) : IDisposable
{
    /// <summary>The expert's EIR feature <c>[B,D]</c>: the spatial mean of the student map.</summary>
    public Tensor Feature() => GlobalExpert.Feature(Student);

    public void Dispose()
    {
        Autoencoder.Dispose();
        Student.Dispose();
    }
}

/// <summary>
/// Everything one forward pass produces (reference <c>AnomalyMoE.forward</c> outputs). Per-expert entries are null
/// for experts the sparse mode skipped. Owns its tensors, except <see cref="ComponentMasks"/>.
/// </summary>
public sealed class AnomalyMoEOutput : IDisposable
{
    public required RoutingDecision Routing { get; init; }
    public required long GridH { get; init; }
    public required long GridW { get; init; }

    /// <summary>The encoder's group maps of the image <c>[B,D,h,w]</c>, one per encoder group (what patch experts reconstruct).</summary>
    public required IReadOnlyList<Tensor> EncoderMaps { get; init; }

    /// <summary>The encoder's group maps of the jittered view (global experts' target); null when neither an encoder nor tokens were available.</summary>
    public IReadOnlyList<Tensor>? JitteredEncoderMaps { get; init; }

    /// <summary>
    /// The encoder map the global experts' autoencoders redraw, at the training groups' last group <c>[B,D,h,w]</c>, for
    /// <see cref="GlobalMapKind.LayoutError"/>; null when that map is not asked for.
    /// </summary>
    public Tensor? GlobalTarget { get; init; }

    public required IReadOnlyList<PatchExpertResult?> Patch { get; init; }
    public required IReadOnlyList<GlobalExpertResult?> Global { get; init; }

    /// <summary>Component features of the batch (reference <c>component_orig</c>); null when the level is off or no masks were given.</summary>
    public ComponentBatch? Components { get; init; }

    /// <summary>Each component expert's reconstruction <c>[N,D]</c> of <see cref="Components"/>; null when skipped or without components.</summary>
    public required IReadOnlyList<Tensor?> ComponentReconstructions { get; init; }

    /// <summary>The masks the components came from (not owned), for painting the component map.</summary>
    public IReadOnlyList<Tensor>? ComponentMasks { get; init; }

    public long BatchSize => Routing.Weights.shape[0];

    public void Dispose()
    {
        Routing.Dispose();
        foreach (var m in EncoderMaps) m.Dispose();
        foreach (var m in JitteredEncoderMaps ?? []) m.Dispose();
        GlobalTarget?.Dispose();
        foreach (var p in Patch) p?.Dispose();
        foreach (var g in Global) g?.Dispose();
        Components?.Dispose();
        foreach (var r in ComponentReconstructions) r?.Dispose();
    }
}
