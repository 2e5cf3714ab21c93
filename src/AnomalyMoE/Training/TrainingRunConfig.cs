using System.Text.Json;
using System.Text.Json.Serialization;
using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Experts;
using AnomalyMoE.Objectives;
using AnomalyMoE.Maps;
using AnomalyMoE.Model;
using AnomalyMoE.Routing;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Training;

/// <summary>Which detector a run trains (written as the CLI spells it: <c>anomalymoe</c>, <c>patchcore</c>).</summary>
[JsonConverter(typeof(DetectionMethodJsonConverter))]
public enum DetectionMethod
{
    /// <summary>The AnomalyMoE model (experts, router, EIR, ESB).</summary>
    AnomalyMoE,

    /// <summary>The PatchCore-style kNN baseline on the same encoder and map post-processing.</summary>
    PatchCore,
}

/// <summary>Reads and writes <see cref="DetectionMethod"/> by its command-line name.</summary>
sealed class DetectionMethodJsonConverter : JsonConverter<DetectionMethod>
{
    public override DetectionMethod Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString() ?? "";
        // Runs written before the method was stored by its CLI name spelled it in kebab case.
        return text switch
        {
            "anomaly-mo-e" => DetectionMethod.AnomalyMoE,
            "patch-core" => DetectionMethod.PatchCore,
            _ => Switches.RunSwitches.ParseMethod(text),
        };
    }

    public override void Write(Utf8JsonWriter writer, DetectionMethod value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Switches.RunSwitches.MethodName(value));
}

/// <summary>Reads and writes <see cref="EncoderPrecision"/> by its command-line name (<c>fp32</c>, <c>bf16</c>).</summary>
sealed class EncoderPrecisionJsonConverter : JsonConverter<EncoderPrecision>
{
    public override EncoderPrecision Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Switches.RunSwitches.Precision.Parse(reader.GetString() ?? "");

    public override void Write(Utf8JsonWriter writer, EncoderPrecision value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Switches.RunSwitches.Precision.Format(value));
}

/// <summary>One dataset root and its categories (all when empty), as stored in a run's config.</summary>
public sealed record DataRoot(string Root, IReadOnlyList<string> Categories);

/// <summary>
/// Everything that defines a run, written as the run directory's <c>config.json</c>: the preset by name plus the
/// overrides (iterations, seed, batch, and the method's switches). <see cref="Switches.RunSwitches"/> lists, parses and
/// applies every one of them.
/// </summary>
public sealed record TrainingRunConfig
{
    public required string Preset { get; init; }
    // On the property, since the options' kebab-case enum converter would otherwise win over the type's attribute.
    [JsonConverter(typeof(DetectionMethodJsonConverter))]
    public DetectionMethod Method { get; init; } = DetectionMethod.AnomalyMoE;
    public required IReadOnlyList<DataRoot> Data { get; init; }
    public int? Iterations { get; init; }
    public int? BatchSize { get; init; }

    /// <summary>Base learning rate of both optimisers; null = the preset's.</summary>
    public double? LearningRate { get; init; }

    public const int DefaultSeed = 42;

    /// <summary>Seed of parameter initialisation, sampling and augmentation.</summary>
    public int Seed { get; init; } = DefaultSeed;

    /// <summary>Expert levels kept: any of <c>p</c> (patch), <c>c</c> (component), <c>g</c> (global); null = all three.</summary>
    public string? Levels { get; init; }
    public int? TopK { get; init; }

    /// <summary>Where top-k picks: over all experts (the reference) or within each level; null = the preset's.</summary>
    public RoutingScope? Routing { get; init; }
    public bool? UseEir { get; init; }

    /// <summary>Tap groups the patch level is scored on at test time; null = the preset's.</summary>
    public TestTimeGroups? TestGroups { get; init; }

    /// <summary>Set min-max (the reference) or calibrated scoring; null = the preset's.</summary>
    public ScoringMode? Scoring { get; init; }

    /// <summary>Sum, max or soft maximum of calibrated levels; null = the preset's.</summary>
    public LevelFusionRule? LevelFusion { get; init; }

    /// <summary>The soft maximum's temperature; null = the preset's.</summary>
    public double? FusionTemperature { get; init; }

    /// <summary>Share of each category's training normals held out to calibrate on (0: the training images); null = the preset's.</summary>
    public double? CalibrationHoldout { get; init; }

    /// <summary>Whether the global experts train on the jittered view (the reference) or the plain image; null = the preset's.</summary>
    public GlobalExpertView? GlobalView { get; init; }

    /// <summary>What the global experts read: the image (the reference) or the encoder's token map; null = the preset's.</summary>
    public GlobalExpertInput? GlobalInput { get; init; }

    /// <summary>What the global level's map measures: the student's disagreement (the reference) or the layout error; null = the preset's.</summary>
    public GlobalMapKind? GlobalMap { get; init; }

    /// <summary>What the component level's map measures: the experts' reconstruction error (the reference) or the component memory; null = the preset's.</summary>
    public ComponentMapKind? ComponentMap { get; init; }
    public bool? UseEsb { get; init; }

    /// <summary>Dense (every expert runs, the reference) or sparse (experts no image selected are skipped); null = the preset's.</summary>
    public ExpertExecution? Execution { get; init; }

    /// <summary>Which parameters share the main step's gradient-norm limit; null = the preset's.</summary>
    public GradientClipScope? Clipping { get; init; }

    /// <summary>Whether the optimiser steps experts no image of the batch selected; null = the preset's.</summary>
    public UnselectedExpertUpdate? UnselectedExperts { get; init; }

    /// <summary>Which group's easy positions gate each patch-decoder group's map; null = the preset's.</summary>
    public HardMiningMaskSource? HardMiningMask { get; init; }

    /// <summary>The CLUB estimator's training likelihood; null = the preset's.</summary>
    public ClubLikelihood? ClubLikelihood { get; init; }

    /// <summary>Iterations of the hard-mining ramp (0 = the reference's constant p); null = the preset's.</summary>
    public int? HardMiningRamp { get; init; }

    /// <summary>What the CLUB estimators train on: a forward after the main step (the reference) or its features; null = the preset's.</summary>
    public EstimatorFeatures? EirEstimator { get; init; }

    /// <summary>Where the component masks come from: <c>unsupervised</c> or <c>released:DIR</c> (<see cref="ComponentMaskSources"/>); null = unsupervised.</summary>
    public string? ComponentMasks { get; init; }

    /// <summary>Another encoder than the preset's: <c>resnet50</c> or <c>wide-resnet50-2</c> (torchvision weights via <see cref="EncoderWeights"/>); null = the preset's.</summary>
    public string? Encoder { get; init; }

    /// <summary>Weights of the encoder: DINOv2 (presets with <see cref="EncoderKind.Dinov2"/>) or torchvision ResNet (<see cref="Encoder"/>).</summary>
    public string? EncoderWeights { get; init; }

    /// <summary>The frozen encoder's number format the run trained with (the trainer records it); null = fp32.</summary>
    [JsonConverter(typeof(EncoderPrecisionJsonConverter))]
    public EncoderPrecision? Precision { get; init; }

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TrainingRunConfig FromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainingRunConfig>(json, Json) ?? throw new AnomalyMoEException($"'{source}' holds no run configuration.");
        }
        catch (JsonException e)
        {
            throw new AnomalyMoEException($"'{source}' is not a valid run configuration: {e.Message}", e);
        }
    }

    /// <summary>The preset with every switch of <see cref="Switches.RunSwitches"/> applied, reconciled and validated.</summary>
    public TrainingPreset ResolvePreset()
    {
        var preset = Switches.RunSwitches.All.Aggregate(TrainingPresets.Get(Preset), (p, s) => s.Apply(p, this));
        var model = preset.Model;
        // EIR pairs two experts of the patch level and two of the global level (train.py MIEstimator); without them it is undefined.
        if (model.PatchExperts < 2 || model.GlobalExperts < 2) model = model with { Objectives = model.Objectives with { UseEir = false } };
        // Top-k's range depends on the levels kept and the routing scope: an explicit k outside it is an error, the preset's is clamped.
        var scope = model.Router.Scope;
        var layout = model.Layout;
        int maxTopK = layout.Total == 0 ? 1 : scope == RoutingScope.PerLevel ? layout.Counts.Where(n => n > 0).Min() : layout.Total;
        if (TopK is { } k && (k < 1 || k > maxTopK))
            throw new AnomalyMoEException(scope == RoutingScope.PerLevel
                ? $"--topk {k} is outside 1..{maxTopK} (per-level routing picks within each level; the smallest level has {maxTopK} experts)."
                : $"--topk {k} is outside 1..{maxTopK} (the number of experts in the run).");
        model = model with { Router = model.Router with { TopK = Math.Max(1, Math.Min(model.Router.TopK, maxTopK)) } };
        return (preset with { Model = model }).Validate();
    }

    /// <summary>The level letters of an ablation string (<c>pcg</c>, <c>p</c>, <c>gc</c>…); a clear error for anything else.</summary>
    public static HashSet<char> ParseLevels(string levels)
    {
        var text = levels.Trim().ToLowerInvariant();
        if (text.Length == 0 || text.Any(ch => ch is not ('p' or 'c' or 'g')) || text.Distinct().Count() != text.Length)
            throw new AnomalyMoEException($"Levels '{levels}' must be a combination of p (patch), c (component) and g (global), each at most once, e.g. pcg or pg.");
        return text.ToHashSet();
    }

    /// <summary>The dataset sources of <see cref="Data"/>.</summary>
    public IReadOnlyList<DatasetSource> Sources() =>
        Data.Select(d => new DatasetSource(d.Root, Categories: d.Categories.Count == 0 ? null : d.Categories).Validate()).ToList();
}
