using AnomalyMoE.Baselines;
using AnomalyMoE.Components;
using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Encoders.Dinov2;
using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using AnomalyMoE.Model;
using AnomalyMoE.Routing;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Training;

/// <summary>What the global experts train on.</summary>
public enum GlobalExpertView
{
    /// <summary>The colour-jittered view, with the encoder's token maps of that view as target (reference train.py).</summary>
    Jittered,

    /// <summary>The plain image, with its cached token maps as target: no encoder pass per iteration once the cache is warm.</summary>
    Plain,
}

/// <summary>Which frozen encoder a preset runs on.</summary>
public enum EncoderKind
{
    /// <summary>The offline ImageNet ResNet18 (<see cref="Encoders.ResNet.ResNetTokenEncoder"/>): two token maps of width 384 at stride 16.</summary>
    ResNet18Onnx,

    /// <summary>A DINOv2 ViT (<see cref="AnomalyMoEOptions.Encoder"/>); its weights file must be given.</summary>
    Dinov2,

    /// <summary>torchvision's ResNet-50 from a <c>.pth</c> state dict (<see cref="Encoders.ResNet.TorchVisionResNet"/>): four token maps of width 1536 at stride 16.</summary>
    TorchVisionResNet50,

    /// <summary>torchvision's WideResNet-50-2, PatchCore's standard backbone, from a <c>.pth</c> state dict: four token maps of width 1536 at stride 16.</summary>
    TorchVisionWideResNet50_2,
}

/// <summary>
/// A named, complete training configuration: encoder, model, image size, schedule and the baseline's options.
/// </summary>
/// <param name="Name">Registry name (<c>paper</c>, <c>cpu-tiny</c>, <c>cpu-small</c>).</param>
/// <param name="Description">One line for <c>--help</c> and reports.</param>
/// <param name="Encoder">The frozen encoder.</param>
/// <param name="Model">Experts, router, taps and objective.</param>
/// <param name="Transform">Resize → crop → normalise (the reference: 448 → 392).</param>
/// <param name="GlobalInputSize">Side of the jittered view the global experts see. Their convolutional autoencoder needs at
/// least <see cref="GlobalExpert.AutoencoderMinimumInput"/> px; when the crop is smaller the view is resized bilinearly.</param>
/// <param name="Iterations">Training iterations (reference 100 000).</param>
/// <param name="BatchSize">Images per iteration (reference 8).</param>
/// <param name="LearningRate">Base learning rate of both optimisers (reference 5e-4).</param>
/// <param name="WarmupIterations">Linear warm-up length (reference 100).</param>
/// <param name="CheckpointEvery">Iterations between checkpoints.</param>
/// <param name="ComponentMasks">The unsupervised component segmenter.</param>
/// <param name="ComponentMaskTap">Index into <see cref="AnomalyMoEOptions.TapLayers"/> of the token map the segmenter clusters.</param>
/// <param name="PatchCore">The kNN baseline's memory bank.</param>
/// <param name="EvaluationBatchSize">Images per batch at evaluation.</param>
/// <param name="GradientClipping">Which parameters share the main step's gradient-norm limit (reference: one joint norm).</param>
/// <param name="UnselectedExperts">Whether the optimiser steps experts no image of the batch selected (reference: it does).</param>
/// <param name="Scoring">How level maps are made comparable before fusion: min-max over the evaluated set (reference test.py) or
/// calibrated on each category's normal training images (set-independent, with a decision threshold).</param>
/// <param name="GlobalView">What the global experts train on: the colour-jittered view (reference) or the plain image.</param>
/// <param name="LevelFusion">How calibrated levels combine: their sum, their per-pixel maximum or soft maximum, with the soft
/// maximum's temperature (unused under set min-max).</param>
/// <param name="CalibrationHoldout">Share of each category's training normals kept out of training to calibrate on
/// (<see cref="CalibrationHoldout"/>); 0 calibrates on the training images (unused under set min-max).</param>
public sealed record TrainingPreset(
    string Name,
    string Description,
    EncoderKind Encoder,
    AnomalyMoEOptions Model,
    ImageTransformOptions Transform,
    int GlobalInputSize,
    int Iterations,
    int BatchSize,
    double LearningRate,
    int WarmupIterations,
    int CheckpointEvery,
    ComponentMaskOptions ComponentMasks,
    int ComponentMaskTap,
    PatchCoreOptions PatchCore,
    int EvaluationBatchSize = 8,
    GradientClipScope GradientClipping = GradientClipScope.Joint,
    UnselectedExpertUpdate UnselectedExperts = UnselectedExpertUpdate.Step,
    ScoringMode Scoring = ScoringMode.SetMinMax,
    LevelFusion? LevelFusion = null,
    GlobalExpertView GlobalView = GlobalExpertView.Jittered,
    double CalibrationHoldout = 0)
{
    /// <summary>The level fusion in effect: <see cref="LevelFusion"/>, or the sum of the reference where none is given.</summary>
    public LevelFusion Fusion => LevelFusion ?? Maps.LevelFusion.Sum;

    public TrainingPreset Validate()
    {
        Fusion.Validate();
        Model.Validate();
        Transform.Validate();
        ComponentMasks.Validate();
        PatchCore.Validate();
        if (Iterations < 1) throw new AnomalyMoEException($"Preset '{Name}': Iterations must be at least 1, got {Iterations}.");
        if (BatchSize < 1) throw new AnomalyMoEException($"Preset '{Name}': BatchSize must be at least 1, got {BatchSize}.");
        if (EvaluationBatchSize < 1) throw new AnomalyMoEException($"Preset '{Name}': EvaluationBatchSize must be at least 1, got {EvaluationBatchSize}.");
        if (!(LearningRate > 0)) throw new AnomalyMoEException($"Preset '{Name}': LearningRate must be positive, got {LearningRate}.");
        if (WarmupIterations < 0) throw new AnomalyMoEException($"Preset '{Name}': WarmupIterations must not be negative, got {WarmupIterations}.");
        if (!(CalibrationHoldout is >= 0 and <= 0.5))
            throw new AnomalyMoEException($"Preset '{Name}': CalibrationHoldout must be between 0 and 0.5, got {CalibrationHoldout}.");
        if (CheckpointEvery < 1) throw new AnomalyMoEException($"Preset '{Name}': CheckpointEvery must be at least 1, got {CheckpointEvery}.");
        if (Model.Global.Input == GlobalExpertInput.Image && GlobalInputSize < GlobalExpert.AutoencoderMinimumInput)
            throw new AnomalyMoEException($"Preset '{Name}': GlobalInputSize {GlobalInputSize} is below the global autoencoder's minimum {GlobalExpert.AutoencoderMinimumInput}.");
        if (ComponentMaskTap < 0 || ComponentMaskTap >= Model.TapLayers.Length)
            throw new AnomalyMoEException($"Preset '{Name}': ComponentMaskTap {ComponentMaskTap} is outside the {Model.TapLayers.Length} tapped layers.");
        if (Encoder == EncoderKind.Dinov2 && Model.Encoder is null)
            throw new AnomalyMoEException($"Preset '{Name}' uses a DINOv2 encoder but its model options name no DINOv2 architecture.");
        return this;
    }
}

/// <summary>
/// The named presets. <c>paper</c> is the reference configuration; the <c>cpu-*</c> presets keep the method (three expert
/// levels, top-k routing, EIR, ESB, hard mining, the reference schedule shape and optimisers) but shrink what a 2-core CPU
/// cannot afford, route per level and hold unselected experts — see each preset's remarks, docs/engine.md and the README.
/// </summary>
public static class TrainingPresets
{
    static readonly ImageNormalization ImageNet = ImageNormalization.ImageNet;

    /// <summary>
    /// The reference configuration (train.py): DINOv2-reg ViT-B/14, resize 448 → crop 392, 6/6/6 experts, top-3,
    /// 100 000 iterations of batch 8, lr 5e-4 with 100 warm-up iterations.
    /// </summary>
    public static TrainingPreset Paper { get; } = new(
        "paper", "Reference configuration: DINOv2-reg ViT-B/14, 448→392, 6/6/6 experts, top-3, 100 000 iterations, batch 8.",
        EncoderKind.Dinov2, AnomalyMoEOptions.Paper, ImageTransformOptions.Reference, GlobalInputSize: 392,
        Iterations: 100_000, BatchSize: 8, LearningRate: 5e-4, WarmupIterations: 100, CheckpointEvery: 5_000,
        ComponentMasks: ComponentMaskOptions.Reference, ComponentMaskTap: 7, PatchCore: PatchCoreOptions.Default);

    /// <summary>
    /// The quickstart preset: offline ResNet18 token maps (D = 384, 2 taps, 14×14 grid at 224 px), 2/2/2 experts, one per level (per-level top-1),
    /// two-block patch decoders with a 384-wide bottleneck and MLP ratio 1, token-map global experts scored by a layout memory, 1100 iterations of batch 8.
    /// </summary>
    public static TrainingPreset CpuTiny { get; } = CpuPreset("cpu-tiny",
        "Quickstart size: ResNet18 tokens at 224 px, 2/2/2 experts, per-level top-1, 2-block patch decoders, token global experts with a layout-memory map, 1100 iterations of batch 8.",
        experts: 2, topK: 1, decoderDepth: 2, iterations: 1100, batchSize: 8);

    /// <summary>cpu-tiny with more capacity: 3/3/3 experts, per-level top-1, 4-block decoders, 600 iterations of batch 4.</summary>
    public static TrainingPreset CpuSmall { get; } = CpuPreset("cpu-small",
        "Larger CPU run: ResNet18 tokens at 224 px, 3/3/3 experts, per-level top-1, 4-block patch decoders, 600 iterations of batch 4.",
        experts: 3, topK: 1, decoderDepth: 4, iterations: 600, batchSize: 4);

    /// <summary>
    /// Smoke-test size: cpu-tiny's model at 64 px (4×4 token grid), batch 2, 100 iterations — seconds, not minutes; for tests
    /// and for checking a pipeline end to end, not for accuracy.
    /// </summary>
    public static TrainingPreset Micro { get; } = MicroPreset();

    static TrainingPreset MicroPreset()
    {
        var micro = CpuPreset("micro",
            "Smoke tests: cpu-tiny's model with the reference's global input, dense experts and after-step estimators, on 64-px images, batch 2, 100 iterations.",
            // Without the cpu departures, so the engine tests exercise the reference paths.
            experts: 2, topK: 1, decoderDepth: 2, iterations: 100, batchSize: 2, cpuDepartures: false);
        return micro with
        {
            Transform = new ImageTransformOptions(72, 64, ImageNormalization.ImageNet),
            // Smoke-test categories hold a handful of training images; let them exercise the layout and component memories.
            Model = micro.Model with
            {
                Global = micro.Model.Global with { LayoutMinimumSequences = 2 },
                Component = micro.Model.Component with { MemoryMinimumSequences = 2 },
            },
            ComponentMasks = ComponentMaskOptions.Reference with { PatchesPerImage = 16 },
            PatchCore = PatchCoreOptions.Default with { MaxBankSize = 256 },
            CheckpointEvery = 50,
            EvaluationBatchSize = 4,
        };
    }

    /// <summary>Every preset by name.</summary>
    public static IReadOnlyDictionary<string, TrainingPreset> All { get; } = new Dictionary<string, TrainingPreset>(StringComparer.Ordinal)
    {
        [Paper.Name] = Paper,
        [CpuTiny.Name] = CpuTiny,
        [CpuSmall.Name] = CpuSmall,
        [Micro.Name] = Micro,
    };

    /// <summary>The preset of that name; the error lists the known names.</summary>
    public static TrainingPreset Get(string name) =>
        All.TryGetValue(name?.Trim() ?? "", out var preset)
            ? preset
            : throw new AnomalyMoEException($"Unknown preset '{name}'; choose one of: {string.Join(", ", All.Keys)}.");

    static TrainingPreset CpuPreset(string name, string description, int experts, int topK, int decoderDepth, int iterations, int batchSize,
        bool cpuDepartures = true)
    {
        const int width = 384;   // ResNet18 conv3_x (128) + conv4_x (256) channels
        // Two taps (ResNet18 has two block pairs at stride 16); decoder outputs in reverse order pair with them.
        int[][] decoderGroups = decoderDepth == 2 ? [[0], [1]] : [[0, 1], [2, 3]];
        var model = AnomalyMoEOptions.Paper with
        {
            EmbedDim = width,
            PatchExperts = experts,
            GlobalExperts = experts,
            ComponentExperts = experts,
            Patch = new PatchExpertOptions(width, Heads: 6, DecoderDepth: decoderDepth, BottleneckHidden: width, MlpRatio: 1.0, DecoderGroups: decoderGroups),
            // A light autoencoder and student on the encoder's token map instead of the reference's image-space CNN: no worse alone
            // at these budgets and far cheaper per image, so batch 8 fits the budget (docs/engine.md, Departures of cpu-tiny).
            // The global level scored by a nearest-normal memory of the categories' coarse layouts: the trained map stays near
            // chance on logical anomalies at these budgets, the memory does not (docs/engine.md, Global map).
            Global = new GlobalExpertOptions(width, [8, 16, 32], [8, 16])
            {
                TokenMap = cpuDepartures ? new TokenGlobalExpertOptions() : null,
                Map = cpuDepartures ? GlobalMapKind.LayoutMemory : GlobalMapKind.StudentDiscrepancy,
            },
            // Experts no image of the batch selected are skipped; with per-level top-1 that can halve the expert work (docs/engine.md, Departures of cpu-tiny).
            Execution = cpuDepartures ? ExpertExecution.Sparse : ExpertExecution.Dense,
            // The CLUB estimators learn from the main forward's detached features instead of a second forward (docs/engine.md, Departures of cpu-tiny).
            Objectives = AnomalyMoEOptions.Paper.Objectives with { EstimatorFeatures = cpuDepartures ? EstimatorFeatures.MainForward : EstimatorFeatures.AfterStep },
            // The reference's component widths: the component MLP sees a few features per image, so its cost is negligible.
            // The component level scored by a nearest-normal memory of the categories' component features: the trained map
            // stays at chance at these budgets, the memory does not (docs/engine.md, Component map).
            Component = ComponentExpertOptions.ForWidth(width) with { Map = cpuDepartures ? ComponentMapKind.Memory : ComponentMapKind.Reconstruction },
            // Per-level routing: with the reference's top-k over all experts the router leaves whole levels untrained at small batches (docs/engine.md, Routing scope).
            Router = new RouterOptions(Hidden: 64, TopK: topK, Scope: RoutingScope.PerLevel),
            TapLayers = [0, 1],
            EncoderGroups = [[0], [1]],
            ComponentTaps = [0, 1],
            ComponentDilation = 3,   // the reference's 5 at a 28×28 grid; the ResNet grid is 14×14
            Encoder = null,
        };
        return new TrainingPreset(name, description, EncoderKind.ResNet18Onnx, model,
            new ImageTransformOptions(256, 224, ImageNet), GlobalInputSize: GlobalExpert.AutoencoderMinimumInput,
            Iterations: iterations, BatchSize: batchSize, LearningRate: 5e-4, WarmupIterations: Math.Min(100, iterations / 10),
            CheckpointEvery: Math.Max(50, iterations / 4),
            ComponentMasks: ComponentMaskOptions.Reference with { PatchesPerImage = 64 }, ComponentMaskTap: 1,
            PatchCore: PatchCoreOptions.Default with { MaxBankSize = 4_000 }, EvaluationBatchSize: 8,
            // An expert that drops out of selection would coast on its last momentum with no loss to check it; at batch 2 that
            // happens every few dozen iterations and spikes the global loss (docs/engine.md, Unselected experts).
            UnselectedExperts: UnselectedExpertUpdate.Hold,
            // Set-independent scores with a decision threshold; the soft maximum keeps a level that sees nothing from diluting
            // one that fires, as the max does, yet lets two levels' moderate evidence add up (docs/engine.md, Scoring).
            Scoring: ScoringMode.Calibrated, LevelFusion: Maps.LevelFusion.SoftMax,
            // The plain view's token maps are cached, so after the first epoch no iteration runs the encoder (docs/engine.md, Throughput).
            GlobalView: GlobalExpertView.Plain);
    }
}
