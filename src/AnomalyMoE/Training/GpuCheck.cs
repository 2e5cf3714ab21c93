using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using AnomalyMoE.Encoders;
using AnomalyMoE.Encoders.Dinov2;
using AnomalyMoE.Experts;
using AnomalyMoE.Model;
using AnomalyMoE.Objectives;
using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Training;

/// <summary>How large the GPU check runs: the paper configuration, or the parity fixture's (seconds on a CPU, for tests).</summary>
public enum GpuCheckScale { Paper, Fixture }

/// <summary>Names and parsing of <see cref="GpuCheckScale"/>.</summary>
public static class GpuCheckScales
{
    /// <summary><c>paper</c> or <c>fixture</c> (case-insensitive).</summary>
    public static GpuCheckScale Parse(string text) => (text ?? "").Trim().ToLowerInvariant() switch
    {
        "paper" => GpuCheckScale.Paper,
        "fixture" => GpuCheckScale.Fixture,
        _ => throw new AnomalyMoEException($"Unknown scale '{text}'; choose paper or fixture."),
    };

    public static string Name(this GpuCheckScale scale) => scale == GpuCheckScale.Paper ? "paper" : "fixture";
}

/// <summary>
/// What the check runs. <see cref="Preset"/> gives the model (the paper preset, or the paper preset with the parity
/// fixture's model options); the step and the training use its batch and <see cref="ImageSize"/>.
/// </summary>
public sealed record GpuCheckPlan(GpuCheckScale Scale, TrainingPreset Preset, int ImageSize, int StepRuns, int TrainIterations,
    IReadOnlyList<Dinov2Options> Encoders, int EncoderImageSize, int EncoderBatch, int EncoderRuns)
{
    /// <summary>
    /// Paper: batch 8 at 392 px, 200 training iterations, ViT-S/B-reg4 at 392 px in batches of 8. Fixture: the fixture's model
    /// (DINOv2 width 64) at batch 2 and 112 px (the global experts' view stays at their minimum, 392 px), 10 iterations, ViT-S/B-reg4 at 56 px in batches of 2.
    /// </summary>
    public static GpuCheckPlan For(GpuCheckScale scale, string fixtureDirectory, int? trainIterations = null)
    {
        if (trainIterations is < 2 * GpuCheck.PoolBatches)
            throw new AnomalyMoEException($"--iters must be at least {2 * GpuCheck.PoolBatches} (a first and a last pass over the synthetic images), got {trainIterations}.");
        Dinov2Options[] encoders = [Dinov2Options.VitS14Reg4, Dinov2Options.VitB14Reg4];
        if (scale == GpuCheckScale.Paper)
            return new GpuCheckPlan(scale, TrainingPresets.Paper, TrainingPresets.Paper.Transform.CropTo, StepRuns: 5, trainIterations ?? 200, encoders, 392, 8, 10);
        var model = OfficialParity.ReadOptions(Path.Combine(fixtureDirectory, "meta.json"));
        var preset = TrainingPresets.Paper with
        {
            Name = "fixture",
            Description = "The paper preset with the parity fixture's model (DINOv2 width 64), batch 2.",
            Model = model,
            BatchSize = 2,
        };
        return new GpuCheckPlan(scale, preset, 112, StepRuns: 1, trainIterations ?? 10, encoders, 56, 2, 2);
    }
}

/// <summary>
/// One command's check of a device (<c>amoe bench gpu</c>, <c>tools/gpu-check.sh</c>): the parity fixture on the device in
/// float32 with the CPU tolerances; the train step of the paper configuration with random weights (forward and step
/// medians, peak GPU memory) in fp32 and bf16; a short paper-shaped training on synthetic images with a random DINOv2, whose
/// loss must fall; and encoder throughput of ViT-S/B. Nothing is downloaded and no ONNX file is needed, so it runs from the
/// portable build. Each part is timed and caught on its own, so a failing part (bf16 unsupported, out of memory) leaves the
/// others' results and names its error.
/// </summary>
public static class GpuCheck
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Batches in the training part's pool of synthetic images, which it cycles through in order.</summary>
    public const int PoolBatches = 2;

    /// <summary>Runs every part on <paramref name="deviceChoice"/>; the JSON's <c>passed</c> is parity passed, the fp32 step ran and the loss fell.</summary>
    public static JsonObject Run(string fixtureDirectory, DeviceChoice deviceChoice, GpuCheckScale scale, int? trainIterations = null,
        IProgress<ProgressUpdate>? progress = null)
    {
        TorchRuntime.EnsureLoaded();
        if (!File.Exists(Path.Combine(fixtureDirectory, "meta.json")))
            throw new AnomalyMoEException($"'{fixtureDirectory}' is not a parity fixture folder (no meta.json; e.g. ../shared/fixtures/official-parity/seed0).");
        var device = TorchRuntime.Resolve(deviceChoice);
        var plan = GpuCheckPlan.For(scale, fixtureDirectory, trainIterations);
        var clock = Stopwatch.StartNew();
        bool cuda = device.type == DeviceType.CUDA;
        var json = new JsonObject
        {
            ["scale"] = scale.Name(),
            ["device"] = cuda ? "cuda" : "cpu",
            ["torch_backend"] = BuildFlavor.TorchBackend,
            ["cuda_available"] = torch.cuda.is_available(),
            ["cuda_devices"] = torch.cuda.is_available() ? torch.cuda.device_count() : 0,
            ["cores"] = Environment.ProcessorCount,
            ["threads"] = torch.get_num_threads(),
            ["weights"] = "random",
            ["peak_gpu_note"] = "peak_gpu_used_mib: largest NVML reading of GPU 0 during the part, CUDA context and what earlier parts left cached included; null off CUDA",
        };
        int part = 0;
        const int parts = 7;
        JsonObject Part(string name, Func<JsonObject> work)
        {
            progress.Report($"gpu check: {name}", part++, parts);
            var partClock = Stopwatch.StartNew();
            JsonObject result;
            try
            {
                result = work();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                result = new JsonObject { ["error"] = $"{e.GetType().Name}: {e.Message}" };
            }
            result["seconds"] = Math.Round(partClock.Elapsed.TotalSeconds, 2);
            return result;
        }

        json["parity"] = Part("verify-parity", () => Parity(fixtureDirectory, device));
        json["step"] = new JsonObject
        {
            ["fp32"] = Part("train step fp32", () => Step(plan, EncoderPrecision.Float32, deviceChoice)),
            ["bf16"] = Part("train step bf16", () => Step(plan, EncoderPrecision.BFloat16, deviceChoice)),
        };
        json["training"] = Part($"{plan.TrainIterations} training iterations", () => Training(plan, device));
        var encoders = new JsonArray();
        foreach (var options in plan.Encoders)
        foreach (var precision in new[] { EncoderPrecision.Float32, EncoderPrecision.BFloat16 })
            encoders.Add(Part($"encoder {options.Name} {precision.Name()}", () => EncoderThroughput(options, precision, plan, device)));
        json["encoders"] = encoders;
        progress.Report("gpu check: done", parts, parts);

        json["passed"] = json["parity"]?["passed"]?.GetValue<bool>() == true
                         && json["step"]!["fp32"]!["error"] is null
                         && json["training"]?["loss_fell"]?.GetValue<bool>() == true;
        json["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        return json;
    }

    /// <summary>Writes the check's JSON (indented) atomically.</summary>
    public static void Write(JsonObject result, string path) => AtomicFile.WriteText(path, result.ToJsonString(Indented) + "\n");

    /// <summary>verify-parity on the device, float32 throughout: TF32 is switched off for it on CUDA, where it is on by default for convolutions.</summary>
    static JsonObject Parity(string fixtureDirectory, Device device)
    {
        bool cuda = device.type == DeviceType.CUDA;
        bool matmulTf32 = false, cudnnTf32 = false;
        if (cuda)
        {
            matmulTf32 = torch.backends.cuda.matmul.allow_tf32;
            cudnnTf32 = torch.backends.cudnn.allow_tf32;
            torch.backends.cuda.matmul.allow_tf32 = false;
            torch.backends.cudnn.allow_tf32 = false;
        }
        IReadOnlyList<ParityRow> rows;
        try
        {
            rows = OfficialParity.Verify(fixtureDirectory, device);
        }
        finally
        {
            if (cuda)
            {
                torch.backends.cuda.matmul.allow_tf32 = matmulTf32;
                torch.backends.cudnn.allow_tf32 = cudnnTf32;
            }
        }
        var worst = rows.MaxBy(r => r.Error / r.Tolerance)!;
        return new JsonObject
        {
            ["fixture"] = Path.GetFullPath(fixtureDirectory),
            ["precision"] = "fp32",
            ["tf32"] = false,
            ["tensors"] = rows.Count,
            ["failed"] = new JsonArray(rows.Where(r => !r.Pass).Select(r => (JsonNode)JsonValue.Create(r.Tensor)).ToArray()),
            ["passed"] = rows.Count > 0 && rows.All(r => r.Pass),
            ["worst"] = new JsonObject
            {
                ["tensor"] = worst.Tensor,
                ["measure"] = worst.Measure == ParityMeasure.Relative ? "relative" : "max abs",
                ["error"] = Number(worst.Error),
                ["tolerance"] = worst.Tolerance,
            },
        };
    }

    static JsonObject Step(GpuCheckPlan plan, EncoderPrecision precision, DeviceChoice device) =>
        JsonSerializer.SerializeToNode(RandomStepBenchmark.Json(
            RandomStepBenchmark.Run(plan.Preset, plan.Preset.BatchSize, plan.ImageSize, precision, plan.StepRuns, device)))!.AsObject();

    /// <summary>
    /// <see cref="GpuCheckPlan.TrainIterations"/> iterations of the preset's training step (random DINOv2, experts dense,
    /// the reference schedule shortened to the run with a tenth of it as warm-up) on a fixed pool of synthetic images.
    /// The loss fell when the mean total loss of the last tenth of the iterations is below that of the first tenth, each
    /// tenth rounded down to whole passes over the pool (at least one), so both means are over the same images.
    /// </summary>
    static JsonObject Training(GpuCheckPlan plan, Device device)
    {
        var preset = plan.Preset;
        var options = preset.Model with { Execution = ExpertExecution.Dense };
        int iterations = plan.TrainIterations, batch = preset.BatchSize, size = plan.ImageSize;
        int globalSize = Math.Max(preset.GlobalInputSize, GlobalExpert.AutoencoderMinimumInput);
        using var gpu = device.type == DeviceType.CUDA ? GpuMemoryProbe.TryOpen() : null;

        manual_seed(0);
        using var encoder = Dinov2Encoder.CreateRandom(options.Encoder!);
        encoder.MoveTo(device);
        var (model, eir) = ModelStates.Initial(options, seed: null);   // the random encoder above drew first
        using var ownedModel = model;
        using var ownedEstimators = eir;
        model.to(device);
        eir.to(device);
        using var optimizer = new StableAdamW(model.named_parameters(), StableAdamWOptions.Reference with { LearningRate = preset.LearningRate });
        using var estimatorOptimizer = new Adam(eir.named_parameters(), preset.LearningRate, weightDecay: 1e-4);
        var schedule = WarmCosineSchedule.Reference(iterations, preset.LearningRate, iterations / 10);
        int poolSize = PoolBatches * batch;
        using var pool = SyntheticImages(poolSize, size, device);
        var masks = Enumerable.Range(0, batch).Select(_ => RandomStepBenchmark.QuadrantMasks(size, device)).ToArray();
        var totals = new List<double>(iterations);
        var reconstructions = new List<double>(iterations);
        var random = new Random(0);
        var clock = Stopwatch.StartNew();
        try
        {
            for (int i = 0; i < iterations; i++)
            {
                manual_seed(AnomalyMoETrainer.IterationSeed(0, i, 0));
                using var scope = NewDisposeScope();
                var index = tensor(Enumerable.Range(0, batch).Select(b => (long)((i * batch + b) % poolSize)).ToArray(), device: device);
                var images = pool.index_select(0, index);
                // Colour jitter: a random gain and offset per image and channel.
                var jittered = images * (1 + 0.2 * (rand(batch, 3, 1, 1, device: device) - 0.5)) + 0.2 * (rand(batch, 3, 1, 1, device: device) - 0.5);
                using var input = RandomStepBenchmark.Encode(encoder, options, preset, images, jittered, masks, globalSize);
                var values = AnomalyMoETrainer.Step(model, eir, input.Input, optimizer, estimatorOptimizer, schedule.At(i), random,
                    preset.GradientClipping, preset.UnselectedExperts);
                totals.Add(values["total"]);
                reconstructions.Add(values["reconstruction"]);
                gpu?.Sample();
            }
        }
        finally
        {
            foreach (var m in masks) m.Dispose();
        }
        double seconds = clock.Elapsed.TotalSeconds;
        int window = Math.Max(PoolBatches, iterations / 10 / PoolBatches * PoolBatches);
        double firstMean = totals.Take(window).Average(), lastMean = totals.TakeLast(window).Average();
        return new JsonObject
        {
            ["preset"] = preset.Name,
            ["iterations"] = iterations,
            ["batch"] = batch,
            ["image_size"] = size,
            ["data"] = $"synthetic: {poolSize} images of random colour gratings with noise, cycled; colour-jittered view; quadrant components",
            ["parameters"] = RandomStepBenchmark.EncoderParameters(encoder) + model.parameters().Sum(p => p.numel()) + eir.parameters().Sum(p => p.numel()),
            ["first_loss"] = Number(totals[0]),
            ["last_loss"] = Number(totals[^1]),
            ["first_reconstruction"] = Number(reconstructions[0]),
            ["last_reconstruction"] = Number(reconstructions[^1]),
            ["window"] = window,
            ["first_window_mean_loss"] = Number(firstMean),
            ["last_window_mean_loss"] = Number(lastMean),
            ["loss_fell"] = lastMean < firstMean,
            ["seconds_per_iteration"] = seconds / iterations,
            ["peak_rss_mib"] = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0,
            ["peak_gpu_used_mib"] = gpu is null ? null : gpu.PeakUsedBytes / 1048576.0,
            ["losses"] = new JsonArray(totals.Select(t => (JsonNode?)Number(Math.Round(t, 6))).ToArray()),
        };
    }

    /// <summary>Images/s of a random encoder's forward pass (median of the plan's runs after one warm-up), no gradients.</summary>
    static JsonObject EncoderThroughput(Dinov2Options options, EncoderPrecision precision, GpuCheckPlan plan, Device device)
    {
        int size = plan.EncoderImageSize, batch = plan.EncoderBatch;
        using var gpu = device.type == DeviceType.CUDA ? GpuMemoryProbe.TryOpen() : null;
        using var encoder = Dinov2Encoder.CreateRandom(options, seed: 0).WithPrecision(precision);
        encoder.MoveTo(device);
        using var noGrad = no_grad();
        using var images = randn(batch, 3, size, size, device: device);
        int[] lastBlock = [options.Depth - 1];
        double Forward()
        {
            var clock = Stopwatch.StartNew();
            encoder.Encode(images, lastBlock).Dispose();
            if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
            gpu?.Sample();
            return clock.Elapsed.TotalMilliseconds;
        }
        Forward();
        double ms = RandomStepBenchmark.Median(Enumerable.Range(0, plan.EncoderRuns).Select(_ => Forward()));
        return new JsonObject
        {
            ["model"] = options.Name,
            ["precision"] = precision.Name(),
            ["image_size"] = size,
            ["batch"] = batch,
            ["runs"] = plan.EncoderRuns,
            ["forward_ms"] = ms,
            ["images_per_second"] = batch * 1000.0 / ms,
            ["peak_gpu_used_mib"] = gpu is null ? null : gpu.PeakUsedBytes / 1048576.0,
        };
    }

    /// <summary>
    /// <paramref name="count"/> images of three random colour gratings per channel plus a little noise, about unit variance
    /// like normalised photographs; the same every run.
    /// </summary>
    static Tensor SyntheticImages(int count, int size, Device device)
    {
        using var scope = NewDisposeScope();
        manual_seed(1234);
        var coordinates = linspace(0, 1, size);
        var y = coordinates.view(1, 1, size, 1);
        var x = coordinates.view(1, 1, 1, size);
        var images = new List<Tensor>(count);
        for (int i = 0; i < count; i++)
        {
            // Per channel and grating: cycles along y and x (1–6 per image), phase and amplitude.
            var fy = (rand(3, 3, 1, 1) * 5 + 1);
            var fx = (rand(3, 3, 1, 1) * 5 + 1);
            var phase = rand(3, 3, 1, 1) * 2 * Math.PI;
            var amplitude = rand(3, 3, 1, 1) * 0.8 + 0.2;
            var gratings = amplitude * sin(2 * Math.PI * (fy * y + fx * x) + phase);
            images.Add(gratings.sum(1) + 0.05 * randn(3, size, size));
        }
        return stack(images).to(device).MoveToOuterDisposeScope();
    }

    static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;
}
