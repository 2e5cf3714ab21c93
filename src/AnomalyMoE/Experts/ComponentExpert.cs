using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Experts;

/// <summary>
/// Configuration of one component (component-level) expert: an MLP autoencoder over component features
/// (reference <c>ComponentAutoencoder</c>: D→256→64→64 | 64→64→256→D, ReLU, dropout 0.1 before each decoder layer).
/// </summary>
/// <param name="EmbedDim">Feature width D (the encoder width).</param>
/// <param name="HiddenWidth">First/last hidden width (reference 256).</param>
/// <param name="MiddleWidth">Second/second-to-last hidden width (reference 64).</param>
/// <param name="BottleneckWidth">Code width (reference 64).</param>
/// <param name="Dropout">Dropout before each decoder layer (reference 0.1; training mode only).</param>
/// <param name="Map">What the level's anomaly map measures: the experts' reconstruction error (reference) or each component's
/// distance to the category's nearest normal (<see cref="ComponentMapKind.Memory"/>, a cpu-preset departure).</param>
/// <param name="MemoryMinimumSequences">The fewest independent sequences of training normals (<see cref="Data.ImageSequences"/>) a
/// category needs for a <see cref="ComponentMapKind.Memory"/>; a category with fewer keeps the trained map.</param>
public sealed record ComponentExpertOptions(int EmbedDim, int HiddenWidth = 256, int MiddleWidth = 64, int BottleneckWidth = 64, double Dropout = 0.1,
    ComponentMapKind Map = ComponentMapKind.Reconstruction, int MemoryMinimumSequences = 8)
{
    /// <summary>The paper's configuration at D = 768.</summary>
    public static ComponentExpertOptions Paper { get; } = new(768);

    /// <summary>The reference widths at another embedding width (the parity fixture uses D = 64).</summary>
    public static ComponentExpertOptions ForWidth(int embedDim) => new(embedDim);

    public ComponentExpertOptions Validate()
    {
        if (EmbedDim <= 0) throw new ArgumentOutOfRangeException(nameof(EmbedDim), EmbedDim, "EmbedDim must be positive.");
        if (HiddenWidth <= 0) throw new ArgumentOutOfRangeException(nameof(HiddenWidth), HiddenWidth, "HiddenWidth must be positive.");
        if (MiddleWidth <= 0) throw new ArgumentOutOfRangeException(nameof(MiddleWidth), MiddleWidth, "MiddleWidth must be positive.");
        if (BottleneckWidth <= 0) throw new ArgumentOutOfRangeException(nameof(BottleneckWidth), BottleneckWidth, "BottleneckWidth must be positive.");
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be in [0, 1).");
        if (MemoryMinimumSequences < 2)
            throw new ArgumentOutOfRangeException(nameof(MemoryMinimumSequences), MemoryMinimumSequences, "MemoryMinimumSequences must be at least 2.");
        return this;
    }
}

/// <summary>What the component level's anomaly map measures.</summary>
public enum ComponentMapKind
{
    /// <summary>Σᵢ wᵢ · (1 − cosine(reconstructionᵢ, feature)) per component (reference <c>calculate_raw_anomaly_maps_moe</c>).</summary>
    Reconstruction,

    /// <summary>
    /// Each component's distance to the same component of the category's nearest training normal (<see cref="ComponentMemory"/>,
    /// a cpu-preset departure). The component experts train as the reference trains them and still route, but the level is
    /// scored by the memory: one MLP autoencoder shared by every category reconstructs an unseen part as well as a seen one on a
    /// CPU budget, so its error stays at chance (docs/engine.md, Component map).
    /// </summary>
    Memory,
}

/// <summary>
/// Component expert. <c>forward(features [N,D])</c> → reconstruction <c>[N,D]</c>. Submodules <c>encoder</c> and
/// <c>decoder</c> are indexed like the reference (dropout and ReLU layers counted), so keys are
/// <c>encoder.{0,2,4}.*</c> and <c>decoder.{1,4,7}.*</c>.
/// </summary>
public sealed class ComponentExpert : Module<Tensor, Tensor>
{
    readonly Sequential encoder;
    readonly Sequential decoder;

    public ComponentExpertOptions Options { get; }

    public ComponentExpert(ComponentExpertOptions options) : base(nameof(ComponentExpert))
    {
        Options = options.Validate();
        var o = options;
        encoder = Sequential(
            ("0", Linear(o.EmbedDim, o.HiddenWidth)),
            ("1", ReLU()),
            ("2", Linear(o.HiddenWidth, o.MiddleWidth)),
            ("3", ReLU()),
            ("4", Linear(o.MiddleWidth, o.BottleneckWidth)));
        decoder = Sequential(
            ("0", Dropout(o.Dropout)),
            ("1", Linear(o.BottleneckWidth, o.MiddleWidth)),
            ("2", ReLU()),
            ("3", Dropout(o.Dropout)),
            ("4", Linear(o.MiddleWidth, o.HiddenWidth)),
            ("5", ReLU()),
            ("6", Dropout(o.Dropout)),
            ("7", Linear(o.HiddenWidth, o.EmbedDim)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor features)
    {
        using var code = encoder.forward(features);
        return decoder.forward(code);
    }

    /// <summary>Per-component loss <c>[N]</c>: 1 − cosine(reconstruction, feature) along the feature dimension.</summary>
    public static Tensor PerComponentLoss(Tensor reconstruction, Tensor features)
    {
        using var cos = functional.cosine_similarity(reconstruction, features, dim: 1);
        return 1 - cos;
    }
}
