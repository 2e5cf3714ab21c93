using System.Text.Json;
using System.Text.Json.Serialization;
using AnomalyMoE.Data;
using AnomalyMoE.Model;
using AnomalyMoE.Routing;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Training;

/// <summary>Which detector a run trains.</summary>
public enum DetectionMethod
{
    /// <summary>The AnomalyMoE model (experts, router, EIR, ESB).</summary>
    AnomalyMoE,

    /// <summary>The PatchCore-style kNN baseline on the same encoder and map post-processing.</summary>
    PatchCore,
}

/// <summary>One dataset root and its categories (all when empty), as stored in a run's config.</summary>
public sealed record DataRoot(string Root, IReadOnlyList<string> Categories);

/// <summary>
/// Everything that defines a run, written as the run directory's <c>config.json</c>: the preset by name plus the
/// overrides (iterations, seed, batch, and the ablation switches: expert levels, top-k, EIR, ESB).
/// </summary>
public sealed record TrainingRunConfig
{
    public required string Preset { get; init; }
    public DetectionMethod Method { get; init; } = DetectionMethod.AnomalyMoE;
    public required IReadOnlyList<DataRoot> Data { get; init; }
    public int? Iterations { get; init; }
    public int? BatchSize { get; init; }

    /// <summary>Base learning rate of both optimisers; null = the preset's.</summary>
    public double? LearningRate { get; init; }
    public int Seed { get; init; } = 42;

    /// <summary>Expert levels kept: any of <c>p</c> (patch), <c>c</c> (component), <c>g</c> (global); null = all three.</summary>
    public string? Levels { get; init; }
    public int? TopK { get; init; }

    /// <summary>Where top-k picks: over all experts (the reference) or within each level; null = the preset's.</summary>
    public RoutingScope? Routing { get; init; }
    public bool? UseEir { get; init; }
    public bool? UseEsb { get; init; }

    /// <summary>Dense (every expert runs, the reference) or sparse (experts no image selected are skipped); null = the preset's.</summary>
    public ExpertExecution? Execution { get; init; }

    /// <summary>Which parameters share the main step's gradient-norm limit; null = the preset's.</summary>
    public GradientClipScope? Clipping { get; init; }

    /// <summary>Whether the optimiser steps experts no image of the batch selected; null = the preset's.</summary>
    public UnselectedExpertUpdate? UnselectedExperts { get; init; }

    /// <summary>Weights of a DINOv2 encoder (presets with <see cref="EncoderKind.Dinov2"/>).</summary>
    public string? EncoderWeights { get; init; }

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

    /// <summary>The preset with this run's overrides applied and validated.</summary>
    public TrainingPreset ResolvePreset()
    {
        var preset = TrainingPresets.Get(Preset);
        var model = preset.Model;
        if (Levels is { } levels)
        {
            var set = ParseLevels(levels);
            model = model with
            {
                PatchExperts = set.Contains('p') ? model.PatchExperts : 0,
                ComponentExperts = set.Contains('c') ? model.ComponentExperts : 0,
                GlobalExperts = set.Contains('g') ? model.GlobalExperts : 0,
            };
        }
        var objectives = model.Objectives with
        {
            UseEir = UseEir ?? model.Objectives.UseEir,
            UseEsb = UseEsb ?? model.Objectives.UseEsb,
        };
        // EIR pairs two experts of the patch level and two of the global level (train.py MIEstimator); without them it is undefined.
        if (model.PatchExperts < 2 || model.GlobalExperts < 2) objectives = objectives with { UseEir = false };
        var scope = Routing ?? model.Router.Scope;
        int[] levelSizes = [model.PatchExperts, model.GlobalExperts, model.ComponentExperts];
        int maxTopK = scope == RoutingScope.PerLevel ? levelSizes.Where(n => n > 0).Min() : model.TotalExperts;
        var topK = Math.Min(TopK ?? model.Router.TopK, maxTopK);
        model = model with
        {
            Objectives = objectives,
            Router = model.Router with { TopK = Math.Max(1, topK), Scope = scope },
            Execution = Execution ?? model.Execution,
        };
        if (TopK is { } k && (k < 1 || k > maxTopK))
            throw new AnomalyMoEException(scope == RoutingScope.PerLevel
                ? $"top-k {k} is outside 1..{maxTopK} (per-level routing picks within each level; the smallest level has {maxTopK} experts)."
                : $"top-k {k} is outside 1..{maxTopK} (the number of experts in the run).");
        return (preset with
        {
            Model = model,
            Iterations = Iterations ?? preset.Iterations,
            WarmupIterations = Iterations is { } n ? Math.Min(preset.WarmupIterations, Math.Max(0, n - 1)) : preset.WarmupIterations,
            BatchSize = BatchSize ?? preset.BatchSize,
            LearningRate = LearningRate ?? preset.LearningRate,
            GradientClipping = Clipping ?? preset.GradientClipping,
            UnselectedExperts = UnselectedExperts ?? preset.UnselectedExperts,
        }).Validate();
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
