using AnomalyMoE.Encoders;
using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using AnomalyMoE.Model;
using AnomalyMoE.Objectives;
using AnomalyMoE.Routing;
using AnomalyMoE.Runtime;
using static AnomalyMoE.Training.Switches.SwitchValues;

namespace AnomalyMoE.Training.Switches;

/// <summary>
/// The switch table: every choice a training run makes, in one place. <c>amoe train</c> and <c>amoe ablate</c> generate
/// their options from it, <see cref="AblationGrid"/> reads grids with it, <see cref="TrainingRunConfig.ResolvePreset"/>
/// applies it to the preset, and a resumed run is compared with its checkpoint over its <see cref="RunSwitch.Identity"/> entries.
/// </summary>
/// <remarks>
/// Adding a switch: (1) give <see cref="TrainingRunConfig"/> a nullable property for it (null = the preset's; its
/// snake_case name is the JSON key); (2) add one entry to <see cref="MethodSwitches"/> below — name, flag, grid key,
/// JSON key, identity, description, parse/format (<see cref="SwitchValues"/>), get/set on the run, its effective value in the
/// resolved preset and how it changes the preset (an immutable <c>with</c>); (3) implement what the preset field does.
/// The CLI options, grid key, notebook variants, config.json, resume check and error messages follow from the entry.
/// The order of <see cref="MethodSwitches"/> is the order of the parts of an ablation run's folder name.
/// </remarks>
public static class RunSwitches
{
    static TrainingRun Config(TrainingRun run, Func<TrainingRunConfig, TrainingRunConfig> change) => run with { Config = change(run.Config) };

    static TrainingRun Settings(TrainingRun run, Func<TrainingSettings, TrainingSettings> change) => run with { Settings = change(run.Settings) };

    static TrainingPreset Model(TrainingPreset preset, Func<AnomalyMoEOptions, AnomalyMoEOptions> change) => preset with { Model = change(preset.Model) };

    /// <summary>Global experts on the token map with the given autoencoder, keeping the preset's token widths where it has them.</summary>
    static TrainingPreset TokenMap(TrainingPreset preset, TokenAutoencoder autoencoder) => Model(preset, model =>
        model with { Global = model.Global with { TokenMap = (model.Global.TokenMap ?? new TokenGlobalExpertOptions()) with { Autoencoder = autoencoder } } });

    static TrainingPreset Objectives(TrainingPreset preset, Func<ObjectiveOptions, ObjectiveOptions> change) =>
        Model(preset, m => m with { Objectives = change(m.Objectives) });

    static readonly (Func<string, RoutingScope> Parse, Func<RoutingScope, string> Format) RoutingNames = Choice(
        ("all-experts", RoutingScope.AllExperts, "top-k over every expert, the reference"), ("all", RoutingScope.AllExperts, null),
        ("per-level", RoutingScope.PerLevel, "top-k within each level"), ("level", RoutingScope.PerLevel, null));

    static readonly (Func<string, GradientClipScope> Parse, Func<GradientClipScope, string> Format) ClipNames = Choice(
        ("joint", GradientClipScope.Joint, "one gradient norm over experts and router, the reference"),
        ("per-level", GradientClipScope.PerLevel, "one norm per expert level and one for the router"), ("level", GradientClipScope.PerLevel, null));

    static readonly (Func<string, UnselectedExpertUpdate> Parse, Func<UnselectedExpertUpdate, string> Format) UnselectedNames = Choice(
        ("step", UnselectedExpertUpdate.Step, "the optimiser steps every expert, the reference"),
        ("hold", UnselectedExpertUpdate.Hold, "experts no image of the batch selected keep their weights and optimiser state"));

    static readonly (Func<string, ExpertExecution> Parse, Func<ExpertExecution, string> Format) ExecutionNames = Choice(
        ("dense", ExpertExecution.Dense, "every expert runs, the reference"),
        ("sparse", ExpertExecution.Sparse, "experts no image of the batch selected are skipped"));

    static readonly (Func<string, HardMiningMaskSource> Parse, Func<HardMiningMaskSource, string> Format) MaskSourceNames = Choice(
        ("last-group", HardMiningMaskSource.LastGroup, "every group's map is gated by the last group's easy positions, as the reference's hooks do"),
        ("own-group", HardMiningMaskSource.OwnGroup, "each group's map is gated by its own easy positions, as the paper describes"));

    static readonly (Func<string, ClubLikelihood> Parse, Func<ClubLikelihood, string> Format) ClubNames = Choice(
        ("reference", ClubLikelihood.Reference, "the reference's form without the log-variance term"),
        ("textbook", ClubLikelihood.Textbook, "the Gaussian log-likelihood of CLUB"));

    static readonly (Func<string, TestTimeGroups> Parse, Func<TestTimeGroups, string> Format) TestGroupNames = Choice(
        ("all-taps", TestTimeGroups.AllTaps, "one group over every tap, as the reference's test.py scores"),
        ("training-groups", TestTimeGroups.TrainingGroups, "the training groups, the last of them compared"));

    static readonly (Func<string, ScoringMode> Parse, Func<ScoringMode, string> Format) ScoringNames = Choice(
        ("set-min-max", ScoringMode.SetMinMax, "each level min-max normalised over the evaluated set, the reference"),
        ("calibrated", ScoringMode.Calibrated, "each level standardised by the category's normal training images, with a threshold"));

    static readonly (Func<string, LevelFusionRule> Parse, Func<LevelFusionRule, string> Format) FusionNames = Choice(
        ("sum", LevelFusionRule.Sum, "the sum of the calibrated levels"),
        ("max", LevelFusionRule.Max, "the per-pixel maximum of the calibrated levels"),
        ("soft-max", LevelFusionRule.SoftMax, "the per-pixel soft maximum T·log Σ exp(z/T) of the calibrated levels"));

    static readonly (Func<string, GlobalExpertView> Parse, Func<GlobalExpertView, string> Format) GlobalViewNames = Choice(
        ("jittered", GlobalExpertView.Jittered, "the colour-jittered view and its own token maps as target, the reference"),
        ("plain", GlobalExpertView.Plain, "the plain image and its cached token maps"));

    static readonly (Func<string, EstimatorFeatures> Parse, Func<EstimatorFeatures, string> Format) EstimatorNames = Choice(
        ("after-step", EstimatorFeatures.AfterStep, "a second forward pass after the main step, the reference"),
        ("main-forward", EstimatorFeatures.MainForward, "the main forward's features, detached"));

    static readonly (Func<string, GlobalExpertInput> Parse, Func<GlobalExpertInput, string> Format) GlobalInputNames = Choice(
        ("image", GlobalExpertInput.Image, "a convolutional autoencoder and student on the image, the reference"),
        ("tokens", GlobalExpertInput.Tokens, "a small autoencoder and student on the encoder's token map"),
        ("layout", GlobalExpertInput.Layout, "an MLP autoencoder over the token map's pooled layout, and the token student"));

    static readonly (Func<string, GlobalMapKind> Parse, Func<GlobalMapKind, string> Format) GlobalMapNames = Choice(
        ("student-discrepancy", GlobalMapKind.StudentDiscrepancy, "the student's disagreement with the autoencoder, the reference"),
        ("layout-error", GlobalMapKind.LayoutError, "the autoencoder's error on the coarse layout of the encoder's map"),
        ("layout-memory", GlobalMapKind.LayoutMemory, "the coarse layout's distance to the category's nearest training normal"));

    static readonly (Func<string, ComponentMapKind> Parse, Func<ComponentMapKind, string> Format) ComponentMapNames = Choice(
        ("reconstruction", ComponentMapKind.Reconstruction, "the component experts' reconstruction error, the reference"),
        ("memory", ComponentMapKind.Memory, "each component's distance to the same component of the category's nearest training normal"));

    static readonly (Func<string, EncoderPrecision> Parse, Func<EncoderPrecision, string> Format) PrecisionNames = Choice(
        ("fp32", EncoderPrecision.Float32, "float32 throughout"), ("float32", EncoderPrecision.Float32, null),
        ("bf16", EncoderPrecision.BFloat16, "the frozen encoder in bfloat16, meant for CUDA"), ("bfloat16", EncoderPrecision.BFloat16, null));

    static readonly (Func<string, DeviceChoice> Parse, Func<DeviceChoice, string> Format) DeviceNames = Choice(
        ("auto", DeviceChoice.Auto, "CUDA when available"), ("cpu", DeviceChoice.Cpu, "the CPU"), ("cuda", DeviceChoice.Cuda, "the GPU"),
        ("gpu", DeviceChoice.Cuda, null));

    static readonly (Func<string, DetectionMethod> Parse, Func<DetectionMethod, string> Format) MethodNames = Choice(
        ("anomalymoe", DetectionMethod.AnomalyMoE, "the AnomalyMoE model"), ("patchcore", DetectionMethod.PatchCore, "the kNN baseline"));

    /// <summary>The method name config.json, metrics.json and the CLI share.</summary>
    public static string MethodName(DetectionMethod method) => MethodNames.Format(method);

    public static DetectionMethod ParseMethod(string text) => Method.Parse(text);

    // ---- The method's switches: ablation grid keys, notebook variants, part of the run's identity. ----

    public static RunSwitch<string?> Levels { get; } = new("levels", "--levels", "levels", "levels", identity: true,
        "expert levels to keep: any of p (patch), c (component), g (global); default pcg",
        parse: text => { TrainingRunConfig.ParseLevels(text); return text.ToLowerInvariant(); }, format: v => v!,
        get: r => r.Config.Levels, set: (r, v) => Config(r, c => c with { Levels = v }),
        // The value lists the kept levels' letters in the ablation strings' order (pcg), not the layout's.
        effective: (_, p) => string.Concat("pcg".Where(letter => p.Model.Layout.Levels.Single(l => l.Letter == letter).Count > 0)),
        apply: (p, v) => v is null ? p : Model(p, m =>
        {
            var set = TrainingRunConfig.ParseLevels(v);
            return m.WithLayout(m.Layout.Keeping(level => set.Contains(level.Letter)));
        }));

    public static RunSwitch<int?> TopK { get; } = new("top-k", "--topk", "topk", "top_k", identity: true,
        "experts each image selects (per level under per-level routing); default: the preset's",
        parse: text => Integer(1)(text), format: v => Number(v!.Value),
        get: r => r.Config.TopK, set: (r, v) => Config(r, c => c with { TopK = v }),
        effective: (_, p) => p.Model.Router.TopK,
        // The range depends on the levels and the routing scope: TrainingRunConfig.ResolvePreset checks it once all are applied.
        apply: (p, v) => v is not { } k ? p : Model(p, m => m with { Router = m.Router with { TopK = k } }));

    public static RunSwitch<RoutingScope?> Routing { get; } = new("routing", "--routing", "routing", "routing", identity: true,
        "all-experts (top-k over every expert, the reference) or per-level (top-k within each level); default: the preset's",
        parse: text => RoutingNames.Parse(text), format: v => RoutingNames.Format(v!.Value),
        get: r => r.Config.Routing, set: (r, v) => Config(r, c => c with { Routing = v }),
        effective: (_, p) => p.Model.Router.Scope,
        apply: (p, v) => v is not { } s ? p : Model(p, m => m with { Router = m.Router with { Scope = s } }));

    public static RunSwitch<GradientClipScope?> Clipping { get; } = new("gradient clipping", "--clip", "clip", "clipping", identity: true,
        "joint (one gradient norm over experts and router, the reference) or per-level (one per expert level and one for the router); default: the preset's",
        parse: text => ClipNames.Parse(text), format: v => ClipNames.Format(v!.Value),
        get: r => r.Config.Clipping, set: (r, v) => Config(r, c => c with { Clipping = v }),
        effective: (_, p) => p.GradientClipping,
        apply: (p, v) => v is { } s ? p with { GradientClipping = s } : p);

    public static RunSwitch<UnselectedExpertUpdate?> Unselected { get; } = new("unselected experts", "--unselected", "unselected", "unselected_experts", identity: true,
        "step (the optimiser steps every expert, the reference) or hold (experts no image of the batch selected keep their weights and optimiser state); default: the preset's",
        parse: text => UnselectedNames.Parse(text), format: v => UnselectedNames.Format(v!.Value),
        get: r => r.Config.UnselectedExperts, set: (r, v) => Config(r, c => c with { UnselectedExperts = v }),
        effective: (_, p) => p.UnselectedExperts,
        apply: (p, v) => v is { } u ? p with { UnselectedExperts = u } : p);

    public static RunSwitch<bool?> Eir { get; } = new("EIR", "--eir", "eir", "use_eir", identity: true,
        "on or off: Expert Information Repulsion in the loss (off when the patch or global level has fewer than two experts); default: the preset's",
        parse: text => OnOff(text), format: v => OnOff(v!.Value),
        get: r => r.Config.UseEir, set: (r, v) => Config(r, c => c with { UseEir = v }),
        effective: (_, p) => p.Model.Objectives.UseEir,
        apply: (p, v) => v is { } on ? Objectives(p, o => o with { UseEir = on }) : p);

    public static RunSwitch<bool?> Esb { get; } = new("ESB", "--esb", "esb", "use_esb", identity: true,
        "on or off: Expert Selection Balancing in the loss; default: the preset's",
        parse: text => OnOff(text), format: v => OnOff(v!.Value),
        get: r => r.Config.UseEsb, set: (r, v) => Config(r, c => c with { UseEsb = v }),
        effective: (_, p) => p.Model.Objectives.UseEsb,
        apply: (p, v) => v is { } on ? Objectives(p, o => o with { UseEsb = on }) : p);

    public static RunSwitch<ExpertExecution?> Execution { get; } = new("execution", "--execution", "execution", "execution", identity: true,
        "dense (every expert runs, the reference) or sparse (experts no image of the batch selected are skipped); default: the preset's",
        parse: text => ExecutionNames.Parse(text), format: v => ExecutionNames.Format(v!.Value),
        get: r => r.Config.Execution, set: (r, v) => Config(r, c => c with { Execution = v }),
        effective: (_, p) => p.Model.Execution,
        apply: (p, v) => v is { } x ? Model(p, m => m with { Execution = x }) : p);

    public static RunSwitch<HardMiningMaskSource?> HardMiningMask { get; } = new("hard-mining mask", "--hard-mining-mask", "hm-mask", "hard_mining_mask", identity: true,
        "last-group (every decoder group gated by the last group's easy positions, the reference) or own-group (each by its own); default: the preset's",
        parse: text => MaskSourceNames.Parse(text), format: v => MaskSourceNames.Format(v!.Value),
        get: r => r.Config.HardMiningMask, set: (r, v) => Config(r, c => c with { HardMiningMask = v }),
        effective: (_, p) => p.Model.Objectives.HardMining.MaskSource,
        apply: (p, v) => v is { } s ? Objectives(p, o => o with { HardMining = o.HardMining with { MaskSource = s } }) : p);

    public static RunSwitch<int?> HardMiningRamp { get; } = new("hard-mining ramp", "--hm-ramp", "hm-ramp", "hard_mining_ramp", identity: true,
        "iterations over which the hard-mining p rises from 0 to its value, as Dinomaly schedules it (0: from the first iteration, the reference); default: the preset's",
        parse: text => Integer(0)(text), format: v => Number(v!.Value),
        get: r => r.Config.HardMiningRamp, set: (r, v) => Config(r, c => c with { HardMiningRamp = v }),
        effective: (_, p) => p.Model.Objectives.HardMining.RampIterations,
        apply: (p, v) => v is { } n ? Objectives(p, o => o with { HardMining = o.HardMining with { RampIterations = n } }) : p);

    public static RunSwitch<EstimatorFeatures?> EirEstimator { get; } = new("EIR estimator features", "--eir-estimator", "eir-estimator", "eir_estimator", identity: true,
        "after-step (the CLUB estimators train on a second forward after the main step, the reference) or main-forward (on the main forward's features); default: the preset's",
        parse: text => EstimatorNames.Parse(text), format: v => EstimatorNames.Format(v!.Value),
        get: r => r.Config.EirEstimator, set: (r, v) => Config(r, c => c with { EirEstimator = v }),
        effective: (_, p) => p.Model.Objectives.EstimatorFeatures,
        apply: (p, v) => v is { } f ? Objectives(p, o => o with { EstimatorFeatures = f }) : p);

    public static RunSwitch<ClubLikelihood?> Club { get; } = new("CLUB likelihood", "--club", "club", "club_likelihood", identity: true,
        "reference (the reference's CLUB training likelihood, without the log-variance term) or textbook (the Gaussian log-likelihood); default: the preset's",
        parse: text => ClubNames.Parse(text), format: v => ClubNames.Format(v!.Value),
        get: r => r.Config.ClubLikelihood, set: (r, v) => Config(r, c => c with { ClubLikelihood = v }),
        effective: (_, p) => p.Model.Objectives.ClubLikelihood,
        apply: (p, v) => v is { } l ? Objectives(p, o => o with { ClubLikelihood = l }) : p);

    // ---- The run's other fields. ----

    public static RunSwitch<string> Preset { get; } = new("preset", "--preset", null, "preset", identity: true,
        $"one of {string.Join(", ", TrainingPresets.All.Keys)}",
        parse: text => TrainingPresets.All.ContainsKey(text) ? text : throw new SwitchValueException($"unknown preset; choose one of {string.Join(", ", TrainingPresets.All.Keys)}."),
        format: v => v, get: r => r.Config.Preset, set: (r, v) => Config(r, c => c with { Preset = v }), effective: (r, _) => r.Config.Preset);

    public static RunSwitch<DetectionMethod> Method { get; } = new("method", "--method", null, "method", identity: true,
        "anomalymoe or patchcore",
        parse: text => MethodNames.Parse(text), format: v => MethodNames.Format(v),
        get: r => r.Config.Method, set: (r, v) => Config(r, c => c with { Method = v }), effective: (r, _) => r.Config.Method);

    /// <summary>The dataset roots and categories (set by <c>--data</c> and <c>--categories</c> together, which check the folders).</summary>
    public static RunSwitch<IReadOnlyList<DataRoot>> Data { get; } = new("data", null, null, "data", identity: true,
        "dataset roots and their categories",
        parse: _ => throw new SwitchValueException("is set by --data and --categories."),
        format: v => string.Join("; ", v.Select(d => d.Categories.Count == 0 ? d.Root : $"{d.Root} [{string.Join(", ", d.Categories)}]")),
        get: r => r.Config.Data, set: (r, v) => Config(r, c => c with { Data = v }), effective: (r, _) => r.Config.Data);

    public static RunSwitch<int> Seed { get; } = new("seed", "--seed", "seed", "seed", identity: true,
        "random seed (default 42)",
        parse: text => Integer(int.MinValue)(text), format: Number,
        get: r => r.Config.Seed, set: (r, v) => Config(r, c => c with { Seed = v }), effective: (r, _) => r.Config.Seed);

    public static RunSwitch<double?> LearningRate { get; } = new("learning rate", "--lr", "lr", "learning_rate", identity: true,
        "base learning rate of both optimisers (default: the preset's)",
        parse: text => Positive(text), format: v => Number(v!.Value),
        get: r => r.Config.LearningRate, set: (r, v) => Config(r, c => c with { LearningRate = v }),
        effective: (_, p) => p.LearningRate,
        apply: (p, v) => v is { } lr ? p with { LearningRate = lr } : p);

    public static RunSwitch<int?> BatchSize { get; } = new("batch size", "--batch", "batch", "batch_size", identity: true,
        "images per iteration (default: the preset's)",
        parse: text => Integer(1)(text), format: v => Number(v!.Value),
        get: r => r.Config.BatchSize, set: (r, v) => Config(r, c => c with { BatchSize = v }),
        effective: (_, p) => p.BatchSize,
        apply: (p, v) => v is { } b ? p with { BatchSize = b } : p);

    static readonly (Func<string, EncoderKind> Parse, Func<EncoderKind, string> Format) EncoderNames = Choice(
        ("resnet50", EncoderKind.TorchVisionResNet50, "torchvision ResNet-50"),
        ("wide-resnet50-2", EncoderKind.TorchVisionWideResNet50_2, "torchvision WideResNet-50-2, PatchCore's backbone"),
        ("wide_resnet50_2", EncoderKind.TorchVisionWideResNet50_2, null));

    public static RunSwitch<string?> Encoder { get; } = new("encoder", "--encoder", null, "encoder", identity: true,
        "resnet50 or wide-resnet50-2: a torchvision encoder (weights with --encoder-weights FILE.pth) in place of the preset's; its token width (1536) sizes the experts",
        parse: text => EncoderNames.Format(EncoderNames.Parse(text)), format: v => v!,
        get: r => r.Config.Encoder, set: (r, v) => Config(r, c => c with { Encoder = v }),
        effective: (r, p) => r.Config.Encoder ?? p.Encoder.ToString(),
        apply: (p, v) => v is { } name ? EncoderFactory.WithTorchVisionResNet(p, EncoderNames.Parse(name)) : p);

    public static RunSwitch<string?> EncoderWeights { get; } = new("encoder weights", "--encoder-weights", null, "encoder_weights", identity: true,
        "encoder weights file: DINOv2 (presets with a DINOv2 encoder, e.g. paper) or torchvision ResNet .pth (with --encoder)",
        parse: text => File.Exists(text) ? Path.GetFullPath(text) : throw new SwitchValueException("no such file."), format: v => v!,
        get: r => r.Config.EncoderWeights, set: (r, v) => Config(r, c => c with { EncoderWeights = v }), effective: (r, _) => r.Config.EncoderWeights);

    public static RunSwitch<string?> ComponentMasks { get; } = new("component masks", "--component-masks", null, "component_masks", identity: true,
        "unsupervised (segmenters fitted on the run's training images, the default) or released:DIR (the authors' released masks, DIR/<category>_heat_448/…)",
        parse: text => ComponentMaskSources.Parse(text), format: v => v!,
        get: r => r.Config.ComponentMasks, set: (r, v) => Config(r, c => c with { ComponentMasks = v }),
        effective: (r, _) => r.Config.ComponentMasks ?? ComponentMaskSources.Unsupervised);

    /// <summary>Saved in config.json by the trainer, so a resumed run keeps the encoder's number format.</summary>
    public static RunSwitch<EncoderPrecision> Precision { get; } = new("precision", "--precision", null, "precision", identity: true,
        "frozen encoder precision: fp32 or bf16 (bf16 runs the encoder in bfloat16 and hands float32 token maps to the float32 experts; meant for CUDA, also accepted on CPU)",
        parse: text => PrecisionNames.Parse(text), format: v => PrecisionNames.Format(v),
        get: r => r.Settings.Precision, set: (r, v) => Settings(r, s => s with { Precision = v }), effective: (r, _) => r.Settings.Precision);

    // ---- How the run executes: a resumed run may change these. ----

    public static RunSwitch<int?> Iterations { get; } = new("iterations", "--iters", null, "iterations", identity: false,
        "training iterations (default: the preset's); a resumed run may extend or shorten its schedule",
        parse: text => Integer(1)(text), format: v => Number(v!.Value),
        get: r => r.Config.Iterations, set: (r, v) => Config(r, c => c with { Iterations = v }),
        effective: (_, p) => p.Iterations,
        apply: (p, v) => v is { } n ? p with { Iterations = n, WarmupIterations = Math.Min(p.WarmupIterations, Math.Max(0, n - 1)) } : p);

    public static RunSwitch<int?> CheckpointEvery { get; } = new("checkpoint interval", "--checkpoint-every", null, null, identity: false,
        "iterations between checkpoints (default: the preset's)",
        parse: text => Integer(1)(text), format: v => Number(v!.Value),
        get: r => r.Settings.CheckpointEvery, set: (r, v) => Settings(r, s => s with { CheckpointEvery = v }),
        effective: (r, p) => r.Settings.CheckpointEvery ?? p.CheckpointEvery);

    public static RunSwitch<int?> StopAfter { get; } = new("stop after", "--stop-after", null, null, identity: false,
        "stop (with a checkpoint) after this many iterations, keeping the full schedule; continue with --resume",
        parse: text => Integer(1)(text), format: v => Number(v!.Value),
        get: r => r.Settings.StopAfter, set: (r, v) => Settings(r, s => s with { StopAfter = v }), effective: (r, _) => r.Settings.StopAfter);

    public static RunSwitch<int> FeatureCache { get; } = new("feature cache", "--feature-cache-mib", null, null, identity: false,
        "host memory (MiB) for the encoder's token maps of the training images, so later epochs skip the encoder; 0 turns it off",
        parse: text => Integer(0)(text), format: Number,
        get: r => r.Settings.FeatureCacheMiB, set: (r, v) => Settings(r, s => s with { FeatureCacheMiB = v }), effective: (r, _) => r.Settings.FeatureCacheMiB);

    public static RunSwitch<DeviceChoice> Device { get; } = new("device", "--device", null, null, identity: false,
        "auto, cpu or cuda",
        parse: text => DeviceNames.Parse(text), format: v => DeviceNames.Format(v),
        get: r => r.Settings.Device, set: (r, v) => Settings(r, s => s with { Device = v }), effective: (r, _) => r.Settings.Device);

    /// <summary>The method's switches, in folder-name order: each has a grid key and a notebook variant.</summary>
    public static RunSwitch<TestTimeGroups?> TestGroups { get; } = new("test-time groups", "--test-groups", "test-groups", "test_groups", identity: true,
        "all-taps (one group over every tap, as the reference's test.py) or training-groups (the training groups); default: the preset's",
        parse: text => TestGroupNames.Parse(text), format: v => TestGroupNames.Format(v!.Value),
        get: r => r.Config.TestGroups, set: (r, v) => Config(r, c => c with { TestGroups = v }),
        effective: (_, p) => p.Model.TestGroups,
        apply: (p, v) => v is { } g ? Model(p, m => m with { TestGroups = g }) : p);

    public static RunSwitch<ScoringMode?> Scoring { get; } = new("scoring", "--scoring", "scoring", "scoring", identity: true,
        "set-min-max (each level normalised over the evaluated set, the reference) or calibrated (standardised by the category's normal training images, with a threshold); default: the preset's",
        parse: text => ScoringNames.Parse(text), format: v => ScoringNames.Format(v!.Value),
        get: r => r.Config.Scoring, set: (r, v) => Config(r, c => c with { Scoring = v }),
        effective: (_, p) => p.Scoring,
        apply: (p, v) => v is { } m ? p with { Scoring = m } : p);

    public static RunSwitch<LevelFusionRule?> Fusion { get; } = new("level fusion", "--fusion", "fusion", "level_fusion", identity: true,
        "sum, max or soft-max of the calibrated levels (calibrated scoring only); default: the preset's",
        parse: text => FusionNames.Parse(text), format: v => FusionNames.Format(v!.Value),
        get: r => r.Config.LevelFusion, set: (r, v) => Config(r, c => c with { LevelFusion = v }),
        effective: (_, p) => p.Fusion.Rule,
        apply: (p, v) => v is { } f ? p with { LevelFusion = p.Fusion with { Rule = f } } : p);

    public static RunSwitch<double?> FusionTemperature { get; } = new("fusion temperature", "--fusion-temperature", "fusion-temperature", "fusion_temperature", identity: true,
        "the soft maximum's temperature T (--fusion soft-max only): small T approaches the max, large T the sum; default: the preset's",
        parse: text => Positive(text), format: v => Number(v!.Value),
        get: r => r.Config.FusionTemperature, set: (r, v) => Config(r, c => c with { FusionTemperature = v }),
        effective: (_, p) => p.Fusion.Temperature,
        apply: (p, v) => v is { } t ? p with { LevelFusion = p.Fusion with { Temperature = t } } : p);

    public static RunSwitch<double?> Holdout { get; } = new("calibration hold-out", "--holdout", "holdout", "calibration_holdout", identity: true,
        "share of each category's training normals kept out of training to calibrate the scores on, from 0 (calibrate on the training images) to 0.5; a dataset's own validation normals are used instead where it has them (calibrated scoring only); default: the preset's",
        parse: text => Fraction(text, 0.5), format: v => Number(v!.Value),
        get: r => r.Config.CalibrationHoldout, set: (r, v) => Config(r, c => c with { CalibrationHoldout = v }),
        effective: (_, p) => p.CalibrationHoldout,
        apply: (p, v) => v is { } f ? p with { CalibrationHoldout = f } : p);

    public static RunSwitch<GlobalExpertView?> GlobalView { get; } = new("global view", "--global-view", "global-view", "global_view", identity: true,
        "jittered (the colour-jittered view, its own token maps as target, the reference) or plain (the plain image with its cached token maps); default: the preset's",
        parse: text => GlobalViewNames.Parse(text), format: v => GlobalViewNames.Format(v!.Value),
        get: r => r.Config.GlobalView, set: (r, v) => Config(r, c => c with { GlobalView = v }),
        effective: (_, p) => p.GlobalView,
        apply: (p, v) => v is { } view ? p with { GlobalView = view } : p);

    public static RunSwitch<GlobalExpertInput?> GlobalInput { get; } = new("global input", "--global-input", "global-input", "global_input", identity: true,
        "image (a convolutional autoencoder and student on the image, the reference), tokens (a small autoencoder and student on the encoder's token map) or layout (an MLP autoencoder over the token map's pooled layout); default: the preset's",
        parse: text => GlobalInputNames.Parse(text), format: v => GlobalInputNames.Format(v!.Value),
        get: r => r.Config.GlobalInput, set: (r, v) => Config(r, c => c with { GlobalInput = v }),
        effective: (_, p) => p.Model.Global.Input,
        apply: (p, v) => v switch
        {
            GlobalExpertInput.Image => p with { Model = p.Model with { Global = p.Model.Global with { TokenMap = null } } },
            GlobalExpertInput.Tokens => TokenMap(p, TokenAutoencoder.Convolutional),
            GlobalExpertInput.Layout => TokenMap(p, TokenAutoencoder.LayoutMlp),
            _ => p,
        });

    public static RunSwitch<GlobalMapKind?> GlobalMap { get; } = new("global map", "--global-map", "global-map", "global_map", identity: true,
        "student-discrepancy (the student's disagreement with the autoencoder, the reference) layout-error (the autoencoder's error on the coarse layout of the encoder's map) or layout-memory (the coarse layout's distance to the category's nearest training normal); default: the preset's",
        parse: text => GlobalMapNames.Parse(text), format: v => GlobalMapNames.Format(v!.Value),
        get: r => r.Config.GlobalMap, set: (r, v) => Config(r, c => c with { GlobalMap = v }),
        effective: (_, p) => p.Model.Global.Map,
        apply: (p, v) => v is { } m ? Model(p, model => model with { Global = model.Global with { Map = m } }) : p);

    public static RunSwitch<ComponentMapKind?> ComponentMap { get; } = new("component map", "--component-map", "component-map", "component_map", identity: true,
        "reconstruction (the component experts' reconstruction error, the reference) or memory (each component's distance to the same component of the category's nearest training normal); default: the preset's",
        parse: text => ComponentMapNames.Parse(text), format: v => ComponentMapNames.Format(v!.Value),
        get: r => r.Config.ComponentMap, set: (r, v) => Config(r, c => c with { ComponentMap = v }),
        effective: (_, p) => p.Model.Component.Map,
        apply: (p, v) => v is { } m ? Model(p, model => model with { Component = model.Component with { Map = m } }) : p);

    public static IReadOnlyList<RunSwitch> MethodSwitches { get; } = [Levels, TopK, Routing, Clipping, Unselected, Eir, Esb, Execution, HardMiningMask, HardMiningRamp, Club,
        EirEstimator, TestGroups, Scoring, Fusion, FusionTemperature, Holdout, GlobalView, GlobalInput, GlobalMap, ComponentMap];

    /// <summary>The run's other fields and its execution settings.</summary>
    public static IReadOnlyList<RunSwitch> RunFields { get; } = [Preset, Method, Data, Seed, LearningRate, BatchSize, Encoder, EncoderWeights, ComponentMasks, Precision,
        Iterations, CheckpointEvery, StopAfter, FeatureCache, Device];

    /// <summary>Every entry; <see cref="TrainingRunConfig.ResolvePreset"/> applies them in this order.</summary>
    public static IReadOnlyList<RunSwitch> All { get; } = [.. MethodSwitches, .. RunFields];

    /// <summary>The entries an ablation grid may vary, by key.</summary>
    public static IReadOnlyDictionary<string, RunSwitch> ByGridKey { get; } =
        All.Where(s => s.GridKey is not null).ToDictionary(s => s.GridKey!, StringComparer.Ordinal);

    /// <summary>
    /// Refuses to continue <paramref name="saved"/> as <paramref name="given"/> when any identity entry differs once both are
    /// resolved; the error names each differing switch with the saved and the given value.
    /// </summary>
    public static void RequireSameIdentity(TrainingRun saved, TrainingRun given, string source)
    {
        if (IdentityDifferences(saved, given) is { } differences)
            throw new AnomalyMoEException($"--resume: the checkpoint '{source}' belongs to another run ({differences}). "
                + "Resume with the saved values, or train into another --out folder; only --iters, --checkpoint-every, --stop-after, --feature-cache-mib, --device and --quiet may change.");
    }

    /// <summary>
    /// Each identity entry in which <paramref name="saved"/> and <paramref name="given"/> differ once resolved, as
    /// <c>--flag: saved X, given Y</c> joined by semicolons; null when they are the same run.
    /// </summary>
    public static string? IdentityDifferences(TrainingRun saved, TrainingRun given)
    {
        var savedPreset = saved.Config.ResolvePreset();
        var givenPreset = given.Config.ResolvePreset();
        var differences = All.Where(s => s.Identity)
            .Select(s => (Switch: s, Saved: s.Effective(saved, savedPreset), Given: s.Effective(given, givenPreset)))
            .Where(d => d.Saved != d.Given)
            .Select(d => $"{d.Switch.Spelling}: saved {d.Saved}, given {d.Given}")
            .ToList();
        return differences.Count > 0 ? string.Join("; ", differences) : null;
    }
}
