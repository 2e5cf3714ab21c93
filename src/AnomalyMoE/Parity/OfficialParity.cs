using System.Text.Json;
using AnomalyMoE.Encoders.Dinov2;
using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using AnomalyMoE.Model;
using AnomalyMoE.Objectives;
using AnomalyMoE.Routing;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Parity;

/// <summary>How a parity tensor is compared: max absolute error (maps, features) or relative error (losses, gradients).</summary>
public enum ParityMeasure { MaxAbsolute, Relative }

/// <summary>One compared tensor. Relative error = max |ours − reference| / max |reference|.</summary>
public sealed record ParityRow(string Tensor, ParityMeasure Measure, double Error, double Tolerance)
{
    public bool Pass => Error <= Tolerance && !double.IsNaN(Error);
}

/// <summary>
/// Re-runs an official parity fixture folder (<c>model.pth</c>, <c>expected.pth</c>, <c>meta.json</c>, as in
/// shared/fixtures/official-parity/seed0) through this implementation and compares every tensor the reference recorded:
/// encoder blocks, routing, every expert's outputs, component features, losses, ESB, CLUB, hard-mining loss and
/// gradients, per-level maps, the fused map and the image scores.
/// </summary>
public static class OfficialParity
{
    /// <summary>Tolerance of maps and features (max absolute error).</summary>
    public const double MapTolerance = 1e-4;

    /// <summary>Tolerance of losses and gradients (relative error).</summary>
    public const double LossTolerance = 1e-4;

    /// <summary>Reads a fixture's <c>meta.json</c> into model options; the error names the file and the missing or bad field.</summary>
    public static AnomalyMoEOptions ReadOptions(string metaPath)
    {
        if (!File.Exists(metaPath)) throw new FileNotFoundException($"Parity fixture configuration not found: {metaPath}", metaPath);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(metaPath));
            var m = doc.RootElement;
            int Int(string name) => m.GetProperty(name).GetInt32();
            double Real(string name) => m.GetProperty(name).GetDouble();
            int[] Ints(string name) => m.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
            int[][] Groups(string name) => m.GetProperty(name).EnumerateArray().Select(g => g.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();

            int d = Int("embed_dim"), heads = Int("num_heads");
            var encoder = new Dinov2Options($"parity_vit_d{d}", d, Int("encoder_depth"), heads, Int("num_register_tokens"), PatchSize: Int("patch_size"));
            var patch = new PatchExpertOptions(d, heads, DecoderDepth: Int("decoder_depth"), BottleneckHidden: Int("bottleneck_hidden"),
                LayerNormEps: Real("layernorm_eps_decoder"), DecoderGroups: Groups("fuse_layer_decoder"));
            var objectives = ObjectiveOptions.Paper with
            {
                HardMining = new HardMiningOptions(Real("p_hm"), Real("factor_hm")),
                CapacityFactor = Real("capacity_factor"),
            };
            return (AnomalyMoEOptions.Paper with
            {
                EmbedDim = d,
                PatchExperts = Int("num_patch_experts"),
                GlobalExperts = Int("num_global_experts"),
                ComponentExperts = Int("num_component_experts"),
                Patch = patch,
                Global = new GlobalExpertOptions(d, Ints("global_autoencoder_widths"), Ints("global_student_widths")),
                Component = ComponentExpertOptions.ForWidth(d),
                Router = RouterOptions.Paper with { TopK = Int("top_k") },
                TapLayers = Ints("target_layers"),
                EncoderGroups = Groups("fuse_layer_encoder"),
                ComponentTaps = Enumerable.Range(0, Ints("target_layers").Length).ToArray(),
                Objectives = objectives,
                Encoder = encoder,
            }).Validate();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{metaPath}' is not a readable parity fixture configuration: {e.Message}", e);
        }
    }

    /// <summary>The fused-map settings recorded in <c>meta.json</c>.</summary>
    public static MapFusionOptions ReadFusionOptions(string metaPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(metaPath));
        var m = doc.RootElement;
        return new MapFusionOptions(m.GetProperty("score_resize").GetInt32(), m.GetProperty("gaussian_kernel_size").GetInt32(),
            m.GetProperty("gaussian_sigma").GetDouble(), m.GetProperty("top_fraction").GetDouble()).Validate();
    }

    /// <summary>Runs every comparison of the fixture in <paramref name="directory"/>; rows in a stable order.</summary>
    public static IReadOnlyList<ParityRow> Verify(string directory, IProgress<ProgressUpdate>? progress = null) => Verify(directory, (AnomalyMoEOptions?)null, progress);

    /// <summary>
    /// As <see cref="Verify(string, IProgress{ProgressUpdate}?)"/>, with <paramref name="options"/> in place of the configuration
    /// read from <c>meta.json</c> (to show that a departure from the reference changes the result).
    /// </summary>
    public static IReadOnlyList<ParityRow> Verify(string directory, AnomalyMoEOptions? options, IProgress<ProgressUpdate>? progress = null) =>
        Verify(directory, options, null, progress);

    /// <summary>
    /// As <see cref="Verify(string, IProgress{ProgressUpdate}?)"/> with the model, the recorded inputs and the comparisons on
    /// <paramref name="device"/> (the tolerances stay those of the CPU).
    /// </summary>
    public static IReadOnlyList<ParityRow> Verify(string directory, Device device, IProgress<ProgressUpdate>? progress = null) =>
        Verify(directory, null, device, progress);

    static IReadOnlyList<ParityRow> Verify(string directory, AnomalyMoEOptions? options, Device? onDevice, IProgress<ProgressUpdate>? progress)
    {
        // torch.CPU is not touched before the load check: its type initializer is what fails without libtorch.
        TorchRuntime.EnsureLoaded();
        var device = onDevice ?? CPU;
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Parity fixture folder not found: {directory}");
        var metaPath = Path.Combine(directory, "meta.json");
        options = (options ?? ReadOptions(metaPath)) with { Execution = ExpertExecution.Dense };
        var fusion = ReadFusionOptions(metaPath);
        var rows = new List<ParityRow>();

        var expected = OnDevice(TorchFile.LoadTensors(Path.Combine(directory, "expected.pth")), device);
        try
        {
            Tensor E(string name) => expected.TryGetValue(name, out var t) ? t
                : throw new InvalidDataException($"'{Path.Combine(directory, "expected.pth")}' has no tensor '{name}'.");
            void Abs(string name, Tensor ours) => rows.Add(new ParityRow(name, ParityMeasure.MaxAbsolute, MaxAbs(ours, E(name)), MapTolerance));
            void Rel(string name, Tensor ours) => rows.Add(new ParityRow(name, ParityMeasure.Relative, Relative(ours, E(name)), LossTolerance));
            int step = 0;
            void Report(string what) => progress?.Report(new ProgressUpdate($"verify-parity: {what}", ++step, 8));

            Report("loading the model");
            using var model = AnomalyMoEModel.Load(Path.Combine(directory, "model.pth"), options);
            model.to(device);
            model.eval();
            var masks = Enumerable.Range(0, int.MaxValue).Select(i => $"input.masks{i}").TakeWhile(expected.ContainsKey).Select(k => expected[k]).ToArray();
            var image = E("input.image_st");
            var jittered = E("input.image_ae");

            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                Report("encoder");
                var dino = (Dinov2Encoder)model.FeatureEncoder!;
                var depth = options.Encoder!.Depth;
                if (expected.ContainsKey("out.encoder.tokens_in")) Abs("out.encoder.tokens_in", dino.PrepareTokens(image));
                using var blocks = dino.Encode(image, Enumerable.Range(0, depth).ToArray());
                for (int i = 0; i < depth; i++)
                {
                    if (expected.ContainsKey($"out.encoder.block{i}")) Abs($"out.encoder.block{i}", blocks.Layers[i]);
                }

                Report("forward, losses and maps");
                using var output = model.forward(new AnomalyMoEInput(image, jittered, masks));
                Abs("out.raw_logits", output.Routing.RawLogits);
                Abs("out.routing_weights", output.Routing.Weights);
                Abs("out.expert_mask", output.Routing.Mask);
                for (int i = 0; i < options.PatchExperts; i++)
                {
                    for (int g = 0; g < output.EncoderMaps.Count; g++)
                    {
                        Abs($"out.patch{i}.en_map{g}", output.EncoderMaps[g]);
                        Abs($"out.patch{i}.de_map{g}", output.Patch[i]!.DecoderMaps[g]);
                    }
                }
                for (int i = 0; i < options.GlobalExperts; i++)
                {
                    Abs($"out.global{i}.ae_output", output.Global[i]!.Autoencoder);
                    Abs($"out.global{i}.student_output", output.Global[i]!.Student);
                }
                if (output.Components is { } components)
                {
                    Abs("out.component_orig", components.Features);
                    for (int i = 0; i < options.ComponentExperts; i++) Abs($"out.component{i}.recon", output.ComponentReconstructions[i]!);
                }
                for (int g = 0; g < (output.JitteredEncoderMaps?.Count ?? 0); g++) Abs($"out.en_ae_map{g}", output.JitteredEncoderMaps![g]);

                using var losses = AnomalyMoELoss.Compute(output, options with { Objectives = options.Objectives with { UseEir = false } });
                Rel("loss.recon", losses.Reconstruction.reshape(1));
                Rel("loss.patch", losses.Patch.reshape(1));
                Rel("loss.global", losses.Global.reshape(1));
                Rel("loss.component", losses.Component.reshape(1));
                Rel("loss.esb", losses.Esb!.reshape(1));

                using var levels = model.LevelMaps(output, image.shape[2], image.shape[3]);
                if (levels.Patch is not null) Abs("map.patch", levels.Patch);
                if (levels.Global is not null) Abs("map.global", levels.Global);
                if (levels.Component is not null) Abs("map.component", levels.Component);
                using var fused = model.Fuse(levels, output.Routing.Weights, fusion);
                Abs("map.fused_smoothed_256", fused.Smoothed);
                Rel("score.image", fused.Scores);
            }

            var evalPath = Path.Combine(directory, "expected_eval.pth");
            if (File.Exists(evalPath))
            {
                Report("test-time maps and scores (test.py)");
                rows.AddRange(VerifyEvaluation(model, options, fusion, evalPath, image, jittered, masks, device));
            }

            if (expected.ContainsKey("club.x"))
            {
                Report("CLUB estimator");
                using var scope = NewDisposeScope();
                using var club = new ClubEstimator(options.EmbedDim, options.Objectives.ClubLikelihood);
                var clubWeights = expected.Where(kv => kv.Key.StartsWith("club_params.", StringComparison.Ordinal))
                    .ToDictionary(kv => kv.Key["club_params.".Length..], kv => kv.Value);
                club.load_state_dict(clubWeights, strict: true);
                club.to(device);
                using var _ = no_grad();
                Rel("club.upper_bound", club.UpperBound(E("club.x"), E("club.y"), E("club.perm")).reshape(1));
                Rel("club.learning_loss", club.LearningLoss(E("club.x"), E("club.y")).reshape(1));
            }

            if (expected.ContainsKey("hm.loss_per_sample"))
            {
                Report("hard-mining loss and gradients of patch expert 0");
                using var scope = NewDisposeScope();
                model.zero_grad();
                using var output = model.forward(new AnomalyMoEInput(image, jittered, masks));
                var expert = output.Patch[0]!;
                var perImage = HardMiningLoss.PerImage(output.EncoderMaps, expert.DecoderMaps, expert.Gates, options.Objectives.HardMining);
                Rel("hm.loss_per_sample", perImage);
                perImage.sum().backward();
                var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                foreach (var name in expected.Keys.Where(k => k.StartsWith("hm.grad.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
                {
                    var parameter = parameters[ReferenceParameterName(name["hm.grad.".Length..])];
                    Rel(name, parameter.grad ?? zeros_like(parameter));
                }
                model.zero_grad();
            }
            Report("done");
        }
        finally
        {
            foreach (var t in expected.Values) t.Dispose();
        }
        return rows;
    }

    /// <summary>
    /// What test.py computes for the fixture's model and inputs (<c>expected_eval.pth</c>): the model rebuilt with one
    /// group over all taps, the global experts on the image itself, per-level maps, the set-normalised fused map and the
    /// image scores. Compared on the <see cref="AnomalyMoEOptions.TestGroups"/> the options name (the reference's by default).
    /// </summary>
    static IEnumerable<ParityRow> VerifyEvaluation(AnomalyMoEModel model, AnomalyMoEOptions options, MapFusionOptions fusion, string path,
        Tensor image, Tensor globalView, IReadOnlyList<Tensor> masks, Device device)
    {
        var expected = OnDevice(TorchFile.LoadTensors(path), device);
        var rows = new List<ParityRow>();
        try
        {
            Tensor E(string name) => expected.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"'{path}' has no tensor '{name}'.");
            void Abs(string name, Tensor ours) => rows.Add(new ParityRow(name, ParityMeasure.MaxAbsolute, MaxAbs(ours, E(name)), MapTolerance));
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var output = model.forward(new AnomalyMoEInput(image, globalView, masks) { TestTime = true });
            for (int i = 0; i < options.PatchExperts; i++)
            {
                for (int g = 0; g < output.EncoderMaps.Count; g++)
                {
                    if (!expected.ContainsKey($"eval.patch{i}.en_map{g}")) continue;
                    Abs($"eval.patch{i}.en_map{g}", output.EncoderMaps[g]);
                    Abs($"eval.patch{i}.de_map{g}", output.Patch[i]!.DecoderMaps[g]);
                }
            }
            using var levels = model.LevelMaps(output, image.shape[2], image.shape[3]);
            if (levels.Patch is not null) Abs("eval.map.patch", levels.Patch);
            if (levels.Global is not null) Abs("eval.map.global", levels.Global);
            if (levels.Component is not null) Abs("eval.map.component", levels.Component);
            using var fused = model.Fuse(levels, output.Routing.Weights, fusion);
            Abs("eval.map.fused_smoothed_256", fused.Smoothed);
            rows.Add(new ParityRow("eval.score.image", ParityMeasure.Relative, Relative(fused.Scores, E("eval.score.image")), LossTolerance));
        }
        finally
        {
            foreach (var t in expected.Values) t.Dispose();
        }
        return rows;
    }

    /// <summary>
    /// The fixture names gradients <c>patch{i}.decoder{j}.rest</c> / <c>patch{i}.bottleneck{j}.rest</c>; the state-dict name is
    /// <c>patch_experts.{i}.decoder.{j}.rest</c>.
    /// </summary>
    static string ReferenceParameterName(string fixtureName)
    {
        var parts = fixtureName.Split('.');
        string Split(string part, string stem) => $"{stem}.{part[stem.Length..]}";
        var expert = Split(parts[0], "patch").Replace("patch.", "patch_experts.");
        var module = parts[1].StartsWith("decoder", StringComparison.Ordinal) ? Split(parts[1], "decoder") : Split(parts[1], "bottleneck");
        return string.Join('.', [expert, module, .. parts[2..]]);
    }

    /// <summary>The tensors moved to <paramref name="device"/> (the same dictionary on the CPU); the CPU copies are disposed.</summary>
    static Dictionary<string, Tensor> OnDevice(Dictionary<string, Tensor> tensors, Device device)
    {
        if (device.type == DeviceType.CPU) return tensors;
        var moved = new Dictionary<string, Tensor>(tensors.Count, StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            moved[name] = tensor.to(device);
            tensor.Dispose();
        }
        return moved;
    }

    static double MaxAbs(Tensor actual, Tensor expected)
    {
        if (!actual.shape.SequenceEqual(expected.shape)) return double.PositiveInfinity;
        using var scope = NewDisposeScope();
        return (actual.to_type(ScalarType.Float64) - expected.to_type(ScalarType.Float64)).abs().max().item<double>();
    }

    static double Relative(Tensor actual, Tensor expected)
    {
        if (!actual.shape.SequenceEqual(expected.shape)) return double.PositiveInfinity;
        using var scope = NewDisposeScope();
        var num = (actual.to_type(ScalarType.Float64) - expected.to_type(ScalarType.Float64)).abs().max().item<double>();
        var den = expected.to_type(ScalarType.Float64).abs().max().item<double>();
        return num / Math.Max(den, 1e-12);
    }
}
