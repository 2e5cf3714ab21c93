using System.Text;
using AnomalyMoE.Encoders;
using AnomalyMoE.Encoders.Dinov2;
using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using AnomalyMoE.Objectives;
using AnomalyMoE.Parity;
using AnomalyMoE.Routing;
using AnomalyMoE.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Model;

/// <summary>Per-level anomaly maps at image resolution <c>[B,1,H,W]</c>; null for a level with no experts. Owns its tensors.</summary>
public sealed record LevelMapSet(Tensor? Patch, Tensor? Global, Tensor? Component) : IDisposable
{
    public void Dispose()
    {
        Patch?.Dispose();
        Global?.Dispose();
        Component?.Dispose();
    }
}

/// <summary>
/// The AnomalyMoE network (reference <c>models/anomalymoe.py</c>): a frozen encoder's tapped token maps feed a top-k
/// router (class token after the last block) and three expert levels — patch experts reconstruct the encoder's group
/// maps, global experts run on the jittered image, component experts reconstruct per-component features.
/// Submodules carry the reference's state-dict names: <c>encoder.*</c> (when the encoder is a DINOv2),
/// <c>patch_experts.{i}.*</c>, <c>global_experts.{i}.*</c>, <c>component_experts.{i}.*</c>, <c>gating_network.gate.*</c>.
/// </summary>
public sealed class AnomalyMoEModel : nn.Module<AnomalyMoEInput, AnomalyMoEOutput>
{
    // Field names are the state-dict prefixes of the reference model; ExpertLayout.ParameterPrefixes spells the experts' ones.
    readonly DinoVisionTransformer? encoder;
    readonly ModuleList<PatchExpert> patch_experts;
    readonly ModuleList<Module<Tensor, (Tensor Autoencoder, Tensor Student)>> global_experts;
    readonly ModuleList<ComponentExpert> component_experts;
    readonly TopKRouter gating_network;
    readonly IFeatureEncoder? featureEncoder;
    bool ownsEncoder;

    public AnomalyMoEOptions Options { get; }

    /// <summary>The frozen encoder, or null when callers supply token maps themselves.</summary>
    public IFeatureEncoder? FeatureEncoder => featureEncoder;

    public IReadOnlyList<PatchExpert> PatchExperts => patch_experts.ToList();
    public IReadOnlyList<Module<Tensor, (Tensor Autoencoder, Tensor Student)>> GlobalExperts => global_experts.ToList();
    public IReadOnlyList<ComponentExpert> ComponentExperts => component_experts.ToList();
    public TopKRouter Router => gating_network;

    /// <summary>
    /// Builds the experts and router with their default (PyTorch) initialisation around <paramref name="featureEncoder"/>
    /// (not owned: the caller disposes it).
    /// A <see cref="Dinov2Encoder"/> becomes the <c>encoder</c> submodule (its weights are part of the state dict, frozen);
    /// another encoder is used but not saved; with none, every input must carry its token maps.
    /// </summary>
    public AnomalyMoEModel(AnomalyMoEOptions options, IFeatureEncoder? featureEncoder) : base(nameof(AnomalyMoEModel))
    {
        Options = options.Validate();
        if (featureEncoder is not null && featureEncoder.Info.Width != options.EmbedDim)
            throw new ArgumentException($"The encoder {featureEncoder.Info.Name} has width {featureEncoder.Info.Width}; the options say EmbedDim {options.EmbedDim}.", nameof(featureEncoder));
        if (featureEncoder is not null && options.TapLayers.Max() >= featureEncoder.Info.LayerCount)
            throw new ArgumentException($"Tap layer {options.TapLayers.Max()} does not exist in {featureEncoder.Info.Name} ({featureEncoder.Info.LayerCount} layers).", nameof(featureEncoder));
        this.featureEncoder = featureEncoder;
        encoder = (featureEncoder as Dinov2Encoder)?.Model;
        patch_experts = new ModuleList<PatchExpert>(Enumerable.Range(0, options.PatchExperts).Select(_ => new PatchExpert(options.Patch)).ToArray());
        global_experts = new ModuleList<Module<Tensor, (Tensor Autoencoder, Tensor Student)>>(Enumerable.Range(0, options.GlobalExperts).Select(_ => GlobalExpert.Create(options.Global)).ToArray());
        component_experts = new ModuleList<ComponentExpert>(Enumerable.Range(0, options.ComponentExperts).Select(_ => new ComponentExpert(options.Component)).ToArray());
        gating_network = new TopKRouter(options.EmbedDim, options.TotalExperts, options.Router, options.Layout.Counts);
        RegisterComponents();
    }

    /// <summary>A model with a randomly initialised DINOv2 encoder of <see cref="AnomalyMoEOptions.Encoder"/> (for tests, benchmarks and key checks).</summary>
    public static AnomalyMoEModel CreateRandom(AnomalyMoEOptions options, long? seed = null)
    {
        TorchRuntime.EnsureLoaded();
        var encoderOptions = options.Validate().Encoder
            ?? throw new ArgumentException("Options.Encoder is null: name the DINOv2 architecture to build, or construct the model with an encoder.", nameof(options));
        if (seed is { } s) manual_seed(s);
        return new AnomalyMoEModel(options, Dinov2Encoder.CreateRandom(encoderOptions)) { ownsEncoder = true };
    }

    /// <summary>
    /// Loads a whole AnomalyMoE checkpoint (the reference's <c>model.state_dict()</c> as saved by its train.py): the
    /// DINOv2 encoder of <see cref="AnomalyMoEOptions.Encoder"/> from the <c>encoder.*</c> keys and every expert and the
    /// router from the rest; strict about keys and shapes.
    /// </summary>
    public static AnomalyMoEModel Load(string checkpointPath, AnomalyMoEOptions options)
    {
        var tensors = TorchFile.LoadTensors(checkpointPath);
        try
        {
            return Load(tensors, options, checkpointPath);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>As <see cref="Load(string, AnomalyMoEOptions)"/> from an already-read dict; <paramref name="source"/> names it in errors. Does not take ownership.</summary>
    public static AnomalyMoEModel Load(IReadOnlyDictionary<string, Tensor> tensors, AnomalyMoEOptions options, string source)
    {
        var encoderOptions = options.Validate().Encoder
            ?? throw new ArgumentException("Options.Encoder is null: a whole checkpoint needs the DINOv2 architecture of its encoder.", nameof(options));
        var dino = Dinov2Encoder.Load(tensors, encoderOptions, source);
        var model = new AnomalyMoEModel(options, dino) { ownsEncoder = true };
        try
        {
            model.LoadExperts(tensors, source);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>
    /// Copies the experts' and router's weights from a reference-named dict (keys outside them, e.g. <c>encoder.*</c>,
    /// are ignored). Throws one <see cref="AnomalyMoEException"/> listing every missing or shape-mismatched key and every
    /// unexpected expert key.
    /// </summary>
    public void LoadExperts(IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        string[] prefixes = [.. ExpertLayout.ParameterPrefixes, "gating_network."];
        var expected = state_dict().Where(kv => prefixes.Any(p => kv.Key.StartsWith(p, StringComparison.Ordinal)))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var given = tensors.Where(kv => prefixes.Any(p => kv.Key.StartsWith(p, StringComparison.Ordinal)))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var missing = expected.Keys.Where(k => !given.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var unexpected = given.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var mismatched = expected.Where(kv => given.TryGetValue(kv.Key, out var g) && !g.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: file [{string.Join(", ", given[kv.Key].shape)}], model [{string.Join(", ", kv.Value.shape)}]").ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
        {
            var message = new StringBuilder($"'{source}' does not fit an AnomalyMoE model with {Options.PatchExperts} patch, {Options.GlobalExperts} global and {Options.ComponentExperts} component experts (D = {Options.EmbedDim}).");
            Describe(message, "missing", missing);
            Describe(message, "unexpected", unexpected);
            Describe(message, "shape mismatch", mismatched);
            throw new AnomalyMoEException(message.ToString());
        }
        using var noGrad = no_grad();
        foreach (var (key, target) in expected) target.copy_(given[key]);
    }

    static void Describe(StringBuilder message, string what, List<string> keys)
    {
        if (keys.Count == 0) return;
        message.Append($" {keys.Count} {what}: ").Append(string.Join(", ", keys.Take(8)));
        if (keys.Count > 8) message.Append($", … ({keys.Count - 8} more)");
        message.Append('.');
    }

    /// <summary>Disposes the experts and router, and the encoder when the model built or loaded it itself.</summary>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && ownsEncoder) featureEncoder?.Dispose();
    }

    /// <summary>The parameters an optimizer updates: experts and router (the encoder stays frozen).</summary>
    public IEnumerable<Parameter> TrainableParameters() =>
        patch_experts.parameters().Concat(global_experts.parameters()).Concat(component_experts.parameters()).Concat(gating_network.parameters());

    /// <summary>Switches experts and router; the encoder always stays in eval mode (reference: <c>model.module.encoder.eval()</c>).</summary>
    public override void train(bool on = true)
    {
        base.train(on);
        encoder?.eval();
    }

    public override AnomalyMoEOutput forward(AnomalyMoEInput input)
    {
        var o = Options;
        var layout = o.Layout;
        EncoderOutput? ownedImageTokens = null, ownedJitteredTokens = null;
        var kept = new List<Tensor>();
        T Keep<T>(T t) where T : Tensor { kept.Add(t); return t; }
        try
        {
            using var scope = NewDisposeScope();
            var view = input.ImageTokens ?? (ownedImageTokens = Encode(input.Image, "Image"));
            CheckTokens(view, "image");
            long gridH = view.GridH, gridW = view.GridW;
            int prefix = (int)(view.Layers[0].shape[1] - gridH * gridW);

            var routing = gating_network.forward(view.GlobalToken);
            bool Runs(int expert) => o.Execution == ExpertExecution.Dense || routing.AnySelected(expert);

            var (encoderGroups, decoderGroups) = input.TestTime ? o.TestTimeGroupIndices() : (o.EncoderGroups, o.Patch.Groups);
            var encoderMaps = encoderGroups.Select(g => Keep(GroupMap(view, g, prefix, gridH, gridW))).ToArray();

            // Patch level: every expert decodes the mean of all tapped maps, class and register tokens included.
            var patch = new PatchExpertResult?[o.PatchExperts];
            if (o.PatchExperts > 0)
            {
                var fused = TokenMaps.Mean(view.Layers);
                for (int i = 0; i < o.PatchExperts; i++)
                {
                    if (!Runs(layout.Patch.Offset + i)) continue;
                    var raw = patch_experts[i].ReconstructGroups(fused, prefix, gridH, gridW, decoderGroups);
                    var gates = raw.Select(_ => new GradientGate()).ToArray();
                    patch[i] = new PatchExpertResult(raw.Select((m, g) => Keep(gates[g].Attach(m))).ToArray(), gates);
                }
            }

            // Global level: both nets see the jittered view; the encoder's maps of that view are their loss target. The
            // token-map experts read that target map itself (the plain view's maps when no jittered view is given).
            var global = new GlobalExpertResult?[o.GlobalExperts];
            Tensor[]? jitteredMaps = null;
            Tensor? globalTarget = null;
            if (o.GlobalExperts > 0)
            {
                bool onTokens = o.Global.Input != GlobalExpertInput.Image;
                var jittered = input.JitteredImage;
                if (jittered is null && !onTokens)
                    throw new ArgumentException("The model has global experts, so the input needs the jittered image (JitteredImage).", nameof(input));
                var jitteredView = input.JitteredTokens
                    ?? (featureEncoder is null || jittered is null ? null : ownedJitteredTokens = Encode(jittered, "JitteredImage"));
                if (jitteredView is not null)
                {
                    CheckTokens(jitteredView, "jittered image");
                    jitteredMaps = encoderGroups.Select(g => Keep(GroupMap(jitteredView, g, prefix, gridH, gridW))).ToArray();
                }
                // The token experts always read the training groups' last map, so test-time groups do not change their input.
                var globalInput = onTokens ? Keep(GroupMap(jitteredView ?? view, o.EncoderGroups[^1], prefix, gridH, gridW)) : jittered!;
                if (o.Global.Map == GlobalMapKind.LayoutError)
                    globalTarget = onTokens ? globalInput : Keep(GroupMap(jitteredView ?? view, o.EncoderGroups[^1], prefix, gridH, gridW));
                for (int i = 0; i < o.GlobalExperts; i++)
                {
                    if (!Runs(layout.Global.Offset + i)) continue;
                    var (ae, student) = global_experts[i].forward(globalInput);
                    global[i] = new GlobalExpertResult(Keep(ae), Keep(student));
                }
            }

            // Component level: features under each dilated mask of the mean of the component taps.
            ComponentBatch? components = null;
            var reconstructions = new Tensor?[o.ComponentExperts];
            if (o.ComponentExperts > 0 && input.ComponentMasks is { } masks)
            {
                var source = ComponentFeatures.MeanTokenMap(o.ComponentTaps.Select(i => view.Layers[i]).ToArray(), prefix, gridH, gridW);
                components = ComponentFeatures.Extract(source, masks, o.ComponentDilation);
                Keep(components.Features);
                if (components.Total > 0)
                {
                    for (int i = 0; i < o.ComponentExperts; i++)
                    {
                        if (Runs(layout.Component.Offset + i)) reconstructions[i] = Keep(component_experts[i].forward(components.Features));
                    }
                }
            }

            Keep(routing.RawLogits);
            Keep(routing.Weights);
            Keep(routing.Mask);
            foreach (var t in kept) t.MoveToOuterDisposeScope();
            return new AnomalyMoEOutput
            {
                Routing = routing,
                GridH = gridH,
                GridW = gridW,
                EncoderMaps = encoderMaps,
                JitteredEncoderMaps = jitteredMaps,
                GlobalTarget = globalTarget,
                Patch = patch,
                Global = global,
                Components = components,
                ComponentReconstructions = reconstructions,
                ComponentMasks = input.ComponentMasks,
            };
        }
        finally
        {
            ownedImageTokens?.Dispose();
            ownedJitteredTokens?.Dispose();
        }
    }

    EncoderOutput Encode(Tensor? image, string name)
    {
        if (image is null) throw new ArgumentException($"The input has neither {name} token maps nor the {name} tensor.");
        if (featureEncoder is null)
            throw new InvalidOperationException($"The model has no encoder; give the input's {name} token maps ({name}Tokens) or build the model with an encoder.");
        return featureEncoder.Encode(image, Options.TapLayers);
    }

    void CheckTokens(EncoderOutput tokens, string what)
    {
        if (tokens.Layers.Count != Options.TapLayers.Length)
            throw new ArgumentException($"The {what} token maps hold {tokens.Layers.Count} layers; the model taps {Options.TapLayers.Length} ([{string.Join(", ", Options.TapLayers)}]).");
        if (tokens.Layers[0].shape[2] != Options.EmbedDim)
            throw new ArgumentException($"The {what} token maps have width {tokens.Layers[0].shape[2]}; the model's EmbedDim is {Options.EmbedDim}.");
    }

    static Tensor GroupMap(EncoderOutput view, int[] group, int prefix, long gridH, long gridW)
    {
        using var mean = TokenMaps.Mean(group.Select(i => view.Layers[i]).ToArray());
        return TokenMaps.ToGrid(mean, prefix, gridH, gridW);
    }

    /// <summary>
    /// Per-level maps at image resolution (reference <c>calculate_raw_anomaly_maps_moe</c>): patch = Σ w·(1 − cos) of each
    /// expert's last group maps, global = Σ w·(channel mean of (autoencoder − student)²) at the grid, both resized
    /// bilinearly; component = each component's weighted score painted on its mask, maximum per pixel.
    /// </summary>
    public LevelMapSet LevelMaps(AnomalyMoEOutput output, long height, long width)
    {
        var o = Options;
        var layout = o.Layout;
        using var scope = NewDisposeScope();
        var weights = output.Routing.Weights;
        Tensor? patchMap = null, globalMap = null, componentMap = null;
        if (o.PatchExperts > 0)
        {
            var ran = Ran(output.Patch);
            var pairs = ran.Select(i => (output.EncoderMaps[^1], output.Patch[i]!.DecoderMaps[^1])).ToArray();
            var grid = Maps.LevelMaps.Patch(pairs, Columns(weights, layout.Patch.Offset, ran), output.GridH, output.GridW);
            patchMap = Maps.LevelMaps.ToImage(grid, height, width);
        }
        if (o.GlobalExperts > 0)
        {
            var ran = Ran(output.Global);
            var maps = ran.Select(i => GlobalExpertMap(output, i)).ToArray();
            var grid = Maps.LevelMaps.Global(maps, Columns(weights, layout.Global.Offset, ran), output.GridH, output.GridW);
            globalMap = Maps.LevelMaps.ToImage(grid, height, width);
        }
        if (o.ComponentExperts > 0)
        {
            var ran = Ran(output.ComponentReconstructions);
            if (output.Components is { } c && c.Total > 0 && output.ComponentMasks is { } masks)
            {
                var scores = ran.Length == 0
                    ? zeros(c.Total, dtype: c.Features.dtype, device: c.Features.device)
                    : Maps.LevelMaps.ComponentScores(ran.Select(i => output.ComponentReconstructions[i]!).ToArray(), c.Features, c.Counts, Columns(weights, layout.Component.Offset, ran));
                componentMap = ComponentFeatures.AnomalyMap(scores, masks, c.Counts, height, width);
            }
            else
            {
                componentMap = zeros(output.BatchSize, 1, height, width, dtype: weights.dtype, device: weights.device);
            }
        }
        return new LevelMapSet(patchMap?.MoveToOuterDisposeScope(), globalMap?.MoveToOuterDisposeScope(), componentMap?.MoveToOuterDisposeScope());
    }

    /// <summary>Global expert <paramref name="i"/>'s raw map at the grid, as <see cref="GlobalExpertOptions.Map"/> defines it.</summary>
    Tensor GlobalExpertMap(AnomalyMoEOutput output, int i) => Options.Global.Map == GlobalMapKind.LayoutError
        ? GlobalExpert.LayoutErrorMap(output.Global[i]!.Autoencoder, output.GlobalTarget!, Options.Global.LayoutGrid, output.GridH, output.GridW)
        : GlobalExpert.AnomalyMap(output.Global[i]!.Autoencoder, output.Global[i]!.Student, output.GridH, output.GridW);

    /// <summary>
    /// Each expert's own map at image resolution, unweighted by the router: what <see cref="LevelMaps"/> sums, expert by
    /// expert, in routing order (<see cref="ExpertLayout.ExpertNames"/>). Experts that did not run (sparse execution, unselected
    /// by every image of the batch) are left out.
    /// </summary>
    public IReadOnlyList<(string Expert, Tensor Map)> ExpertMaps(AnomalyMoEOutput output, long height, long width)
    {
        var layout = Options.Layout;
        using var scope = NewDisposeScope();
        using var one = ones(output.BatchSize, 1, dtype: output.Routing.Weights.dtype, device: output.Routing.Weights.device);
        var maps = new List<(string, Tensor)>();
        foreach (var i in Ran(output.Patch))
        {
            var grid = Maps.LevelMaps.Patch([(output.EncoderMaps[^1], output.Patch[i]!.DecoderMaps[^1])], one, output.GridH, output.GridW);
            maps.Add((layout.ExpertNames[layout.Patch.Offset + i], Maps.LevelMaps.ToImage(grid, height, width).MoveToOuterDisposeScope()));
        }
        foreach (var i in Ran(output.Global))
        {
            var grid = Maps.LevelMaps.Global([GlobalExpertMap(output, i)], one, output.GridH, output.GridW);
            maps.Add((layout.ExpertNames[layout.Global.Offset + i], Maps.LevelMaps.ToImage(grid, height, width).MoveToOuterDisposeScope()));
        }
        if (output.Components is { } c && c.Total > 0 && output.ComponentMasks is { } masks)
            foreach (var i in Ran(output.ComponentReconstructions))
            {
                var scores = Maps.LevelMaps.ComponentScores([output.ComponentReconstructions[i]!], c.Features, c.Counts, one);
                maps.Add((layout.ExpertNames[layout.Component.Offset + i], ComponentFeatures.AnomalyMap(scores, masks, c.Counts, height, width).MoveToOuterDisposeScope()));
            }
        return maps;
    }

    /// <summary>Fuses level maps of a whole evaluated set into smoothed maps and image scores (see <see cref="MapFusion"/>).</summary>
    public FusedMaps Fuse(LevelMapSet maps, Tensor routingWeights, MapFusionOptions? options = null) =>
        MapFusion.Fuse(maps.Patch, maps.Global, maps.Component, routingWeights, Options.Layout, options);

    static int[] Ran<T>(IReadOnlyList<T?> results) => Enumerable.Range(0, results.Count).Where(i => results[i] is not null).ToArray();

    static Tensor Columns(Tensor weights, int offset, int[] experts)
    {
        using var index = tensor(experts.Select(i => (long)(offset + i)).ToArray(), device: weights.device);
        return weights.index_select(1, index);
    }
}
