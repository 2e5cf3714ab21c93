using AnomalyMoE.Encoders.Dinov2;
using AnomalyMoE.Experts;
using AnomalyMoE.Objectives;
using AnomalyMoE.Routing;

namespace AnomalyMoE.Model;

/// <summary>How the experts are evaluated for a batch.</summary>
public enum ExpertExecution
{
    /// <summary>Every expert runs on every image and is weighted by its routing weight (zero when unselected), as the reference does.</summary>
    Dense,

    /// <summary>
    /// Experts that no image of the batch selected are skipped. Their routing weight is zero for every image, so
    /// routing, reconstruction losses, maps and scores equal the dense mode's; EIR draws its expert pairs among the experts that ran.
    /// </summary>
    Sparse,
}

/// <summary>
/// Options of the training objective: recon + EirWeight·EIR + EsbWeight·ESB (reference train.py).
/// </summary>
/// <param name="HardMining">The patch experts' hard-mining loss.</param>
/// <param name="Scales">Per-level reconstruction scales (patch 1, global 0.1, component 0.1).</param>
/// <param name="UseEsb">Whether Expert Selection Balancing is part of the loss.</param>
/// <param name="EsbWeight">λ of ESB (0.01).</param>
/// <param name="CapacityFactor">ESB capacity factor: cap = factor·B/E (4).</param>
/// <param name="UseEir">Whether Expert Information Repulsion is part of the loss (and its estimator trained).</param>
/// <param name="EirWeight">λ of EIR (1e-4).</param>
/// <param name="ClubLikelihood">The CLUB estimator's training likelihood (reference form by default).</param>
/// <param name="EstimatorFeatures">What the CLUB estimators' step reads: a second forward after the main step (reference) or the
/// main forward's features.</param>
public sealed record ObjectiveOptions(
    HardMiningOptions HardMining,
    ReconstructionScales Scales,
    bool UseEsb = true,
    double EsbWeight = 0.01,
    double CapacityFactor = 4.0,
    bool UseEir = true,
    double EirWeight = 1e-4,
    ClubLikelihood ClubLikelihood = ClubLikelihood.Reference,
    EstimatorFeatures EstimatorFeatures = EstimatorFeatures.AfterStep)
{
    public static ObjectiveOptions Paper { get; } = new(HardMiningOptions.Paper, ReconstructionScales.Paper);

    public ObjectiveOptions Validate()
    {
        HardMining.Validate();
        Scales.Validate();
        if (EsbWeight < 0) throw new ArgumentOutOfRangeException(nameof(EsbWeight), EsbWeight, "EsbWeight must not be negative.");
        if (!(CapacityFactor > 0)) throw new ArgumentOutOfRangeException(nameof(CapacityFactor), CapacityFactor, "CapacityFactor must be positive.");
        if (EirWeight < 0) throw new ArgumentOutOfRangeException(nameof(EirWeight), EirWeight, "EirWeight must not be negative.");
        if (!Enum.IsDefined(ClubLikelihood)) throw new ArgumentOutOfRangeException(nameof(ClubLikelihood), ClubLikelihood, "Unknown CLUB likelihood.");
        if (!Enum.IsDefined(EstimatorFeatures)) throw new ArgumentOutOfRangeException(nameof(EstimatorFeatures), EstimatorFeatures, "Unknown estimator features.");
        return this;
    }
}

/// <summary>Which expert features the CLUB estimators train on in their alternating step.</summary>
public enum EstimatorFeatures
{
    /// <summary>A gradient-free forward pass after the main step, with the updated experts (reference train.py).</summary>
    AfterStep,

    /// <summary>The main forward's features, detached: one forward pass per iteration instead of two.</summary>
    MainForward,
}

/// <summary>Which tap groups the patch level is scored on at test time.</summary>
public enum TestTimeGroups
{
    /// <summary>
    /// One group over every tap, for the encoder and the decoder (reference test.py builds the model with
    /// <c>fuse_layer_encoder = fuse_layer_decoder = [[0..7]]</c>, whatever groups it was trained with).
    /// </summary>
    AllTaps,

    /// <summary>The training groups; the patch level compares the last of them.</summary>
    TrainingGroups,
}

/// <summary>
/// Every count, width and switch of an AnomalyMoE model. Expert counts of 0 disable a level.
/// </summary>
/// <param name="EmbedDim">Encoder width D, shared by every expert.</param>
/// <param name="PatchExperts">Number of patch (structural) experts Np.</param>
/// <param name="GlobalExperts">Number of global (logical) experts Ng.</param>
/// <param name="ComponentExperts">Number of component experts Nc.</param>
/// <param name="Patch">Each patch expert's architecture (its <see cref="PatchExpertOptions.EmbedDim"/> must equal <paramref name="EmbedDim"/>).</param>
/// <param name="Global">Each global expert's architecture.</param>
/// <param name="Component">Each component expert's architecture.</param>
/// <param name="Router">Router width and top-k.</param>
/// <param name="TapLayers">Encoder blocks (0-based) whose token maps are tapped (reference 2…9).</param>
/// <param name="EncoderGroups">Groups of tap indices averaged into the maps the patch level compares (reference [[0..3],[4..7]]); as many groups as the patch expert's decoder groups.</param>
/// <param name="ComponentTaps">Tap indices averaged into the component source map (reference: all eight).</param>
/// <param name="ComponentDilation">Max-pool dilation of the component masks at grid resolution (5).</param>
/// <param name="Execution">Dense (reference) or sparse expert evaluation.</param>
/// <param name="Objectives">The training objective's switches and weights.</param>
/// <param name="Encoder">The DINOv2 architecture the model is built with when no encoder is supplied (null: bring your own).</param>
/// <param name="TestGroups">The tap groups the patch level is scored on at test time (reference: one group over all taps).</param>
public sealed record AnomalyMoEOptions(
    int EmbedDim,
    int PatchExperts,
    int GlobalExperts,
    int ComponentExperts,
    PatchExpertOptions Patch,
    GlobalExpertOptions Global,
    ComponentExpertOptions Component,
    RouterOptions Router,
    int[] TapLayers,
    int[][] EncoderGroups,
    int[] ComponentTaps,
    int ComponentDilation,
    ExpertExecution Execution,
    ObjectiveOptions Objectives,
    Dinov2Options? Encoder,
    TestTimeGroups TestGroups = TestTimeGroups.AllTaps)
{
    static readonly int[] ReferenceTaps = [2, 3, 4, 5, 6, 7, 8, 9];
    static readonly int[][] ReferenceGroups = [[0, 1, 2, 3], [4, 5, 6, 7]];
    static readonly int[] AllEightTaps = [0, 1, 2, 3, 4, 5, 6, 7];

    /// <summary>The paper's configuration: DINOv2-reg ViT-B/14, D = 768, 6 + 6 + 6 experts, top-k 3.</summary>
    public static AnomalyMoEOptions Paper { get; } = new(
        EmbedDim: 768, PatchExperts: 6, GlobalExperts: 6, ComponentExperts: 6,
        Patch: PatchExpertOptions.Paper, Global: GlobalExpertOptions.Paper, Component: ComponentExpertOptions.Paper,
        Router: RouterOptions.Paper, TapLayers: ReferenceTaps, EncoderGroups: ReferenceGroups, ComponentTaps: AllEightTaps,
        ComponentDilation: ComponentFeatures.DefaultDilation, Execution: ExpertExecution.Dense, Objectives: ObjectiveOptions.Paper,
        Encoder: Dinov2Options.VitB14Reg4);

    /// <summary>
    /// The official parity fixture's configuration (shared/fixtures/official-parity/seed0/meta.json): a tiny DINOv2-format
    /// encoder (D = 64, 10 blocks, 4 heads, 4 registers), 2 + 2 + 2 experts, reduced global widths, top-k 3.
    /// </summary>
    public static AnomalyMoEOptions OfficialTinyFixture { get; } = Paper with
    {
        EmbedDim = 64, PatchExperts = 2, GlobalExperts = 2, ComponentExperts = 2,
        Patch = PatchExpertOptions.OfficialTinyFixture, Global = GlobalExpertOptions.ParityFixture,
        Component = ComponentExpertOptions.ForWidth(64), Encoder = Dinov2Options.Tiny,
    };

    /// <summary>The levels' order, offsets, expert names and parameter prefixes for these expert counts.</summary>
    public ExpertLayout Layout => new(PatchExperts, GlobalExperts, ComponentExperts);

    /// <summary>Total expert count E = Np + Ng + Nc (the router's output width).</summary>
    public int TotalExperts => Layout.Total;

    /// <summary>These options with the expert counts of <paramref name="layout"/>.</summary>
    public AnomalyMoEOptions WithLayout(ExpertLayout layout) =>
        this with { PatchExperts = layout.Patch.Count, GlobalExperts = layout.Global.Count, ComponentExperts = layout.Component.Count };

    /// <summary>The encoder and decoder groups the patch level is compared on at test time (see <see cref="TestGroups"/>).</summary>
    public (int[][] Encoder, int[][] Decoder) TestTimeGroupIndices() => TestGroups == TestTimeGroups.AllTaps
        ? ([Enumerable.Range(0, TapLayers.Length).ToArray()], [Enumerable.Range(0, Patch.DecoderDepth).ToArray()])
        : (EncoderGroups, Patch.Groups);

    public AnomalyMoEOptions Validate()
    {
        if (EmbedDim <= 0) throw new ArgumentOutOfRangeException(nameof(EmbedDim), EmbedDim, "EmbedDim must be positive.");
        if (PatchExperts < 0) throw new ArgumentOutOfRangeException(nameof(PatchExperts), PatchExperts, "PatchExperts must not be negative (0 disables the level).");
        if (GlobalExperts < 0) throw new ArgumentOutOfRangeException(nameof(GlobalExperts), GlobalExperts, "GlobalExperts must not be negative (0 disables the level).");
        if (ComponentExperts < 0) throw new ArgumentOutOfRangeException(nameof(ComponentExperts), ComponentExperts, "ComponentExperts must not be negative (0 disables the level).");
        if (TotalExperts == 0) throw new ArgumentException("At least one expert level must have experts (PatchExperts, GlobalExperts and ComponentExperts are all 0).");
        if (Patch is null || Global is null || Component is null || Router is null || Objectives is null)
            throw new ArgumentException("Patch, Global, Component, Router and Objectives options are required.");
        Patch.Validate();
        Global.Validate();
        Component.Validate();
        Router.Validate(TotalExperts, Layout.Counts);
        Objectives.Validate();
        if (Patch.EmbedDim != EmbedDim) throw new ArgumentException($"Patch.EmbedDim ({Patch.EmbedDim}) differs from EmbedDim ({EmbedDim}).", nameof(Patch));
        if (Global.EmbedDim != EmbedDim) throw new ArgumentException($"Global.EmbedDim ({Global.EmbedDim}) differs from EmbedDim ({EmbedDim}).", nameof(Global));
        if (Component.EmbedDim != EmbedDim) throw new ArgumentException($"Component.EmbedDim ({Component.EmbedDim}) differs from EmbedDim ({EmbedDim}).", nameof(Component));
        if (Encoder is not null)
        {
            Encoder.Validate();
            if (Encoder.Width != EmbedDim) throw new ArgumentException($"Encoder width ({Encoder.Width}, {Encoder.Name}) differs from EmbedDim ({EmbedDim}).", nameof(Encoder));
            foreach (var t in TapLayers ?? [])
            {
                if (t >= Encoder.Depth)
                    throw new ArgumentOutOfRangeException(nameof(TapLayers), t, $"Tap layer {t} does not exist in {Encoder.Name} (blocks 0..{Encoder.Depth - 1}).");
            }
        }
        if (TapLayers is not { Length: > 0 } || TapLayers.Any(t => t < 0))
            throw new ArgumentException($"TapLayers must list at least one non-negative block index; got [{string.Join(", ", TapLayers ?? [])}].", nameof(TapLayers));
        CheckTapIndices(EncoderGroups, nameof(EncoderGroups));
        CheckTapIndices([ComponentTaps], nameof(ComponentTaps));
        if (PatchExperts > 0 && EncoderGroups.Length != Patch.Groups.Length)
            throw new ArgumentException($"EncoderGroups has {EncoderGroups.Length} groups but the patch decoder has {Patch.Groups.Length}; they are compared pairwise.", nameof(EncoderGroups));
        if (ComponentDilation < 1 || ComponentDilation % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(ComponentDilation), ComponentDilation, "ComponentDilation must be an odd kernel size ≥ 1.");
        if (!Enum.IsDefined(TestGroups)) throw new ArgumentOutOfRangeException(nameof(TestGroups), TestGroups, "Unknown test-time groups.");
        if (!Enum.IsDefined(Execution)) throw new ArgumentOutOfRangeException(nameof(Execution), Execution, "Unknown expert execution mode.");
        return this;
    }

    void CheckTapIndices(int[][]? groups, string name)
    {
        if (groups is not { Length: > 0 } || groups.Any(g => g is not { Length: > 0 }))
            throw new ArgumentException($"{name} must hold at least one non-empty group of tap indices.", name);
        foreach (var i in groups.SelectMany(g => g))
        {
            if (i < 0 || i >= TapLayers.Length)
                throw new ArgumentOutOfRangeException(name, i, $"{name} index {i} is outside the {TapLayers.Length} tapped layers (0..{TapLayers.Length - 1}).");
        }
    }
}
