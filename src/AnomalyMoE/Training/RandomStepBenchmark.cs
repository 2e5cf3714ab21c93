using System.Diagnostics;
using AnomalyMoE.Encoders;
using AnomalyMoE.Encoders.Dinov2;
using AnomalyMoE.Experts;
using AnomalyMoE.Model;
using AnomalyMoE.Objectives;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Training;

/// <summary>
/// What <c>amoe bench step --preset NAME</c> measured. Memory in bytes; <see cref="PeakGpuUsedBytes"/> is the largest
/// NVML reading of the device (null off CUDA or without NVML). The encoder is frozen; the model's experts and router
/// and the EIR estimators are trained.
/// </summary>
public sealed record RandomStepBenchmarkResult(string Preset, string Device, EncoderPrecision Precision, int BatchSize, int ImageSize, int Runs,
    long EncoderParameters, long ModelParameters, long EstimatorParameters, double ForwardMs, double TrainStepMs, long PeakWorkingSetBytes, long? PeakGpuUsedBytes)
{
    public long Parameters => EncoderParameters + ModelParameters + EstimatorParameters;
}

/// <summary>
/// Forward and train-step medians of a DINOv2 preset with random weights on random images (no dataset, no downloaded
/// weights): all experts run dense, as in the reference. One step is what <see cref="AnomalyMoETrainer.Iteration"/> does
/// per batch: the frozen encoder on the image and on its jittered view, then <see cref="AnomalyMoETrainer.Step"/>
/// (main step and estimator step); the forward pass is the encoder and the model without gradients.
/// </summary>
public static class RandomStepBenchmark
{
    public static RandomStepBenchmarkResult Run(TrainingPreset preset, int? batchSize = null, int? imageSize = null,
        EncoderPrecision precision = EncoderPrecision.Float32, int runs = 3, DeviceChoice deviceChoice = DeviceChoice.Auto)
    {
        TorchRuntime.EnsureLoaded();
        if (preset.Encoder != EncoderKind.Dinov2 || preset.Model.Encoder is null)
            throw new AnomalyMoEException($"bench step --preset needs a DINOv2 preset (random encoder weights); '{preset.Name}' runs {preset.Encoder}. Use --fixture for the others.");
        if (runs < 1) throw new AnomalyMoEException($"--runs must be at least 1, got {runs}.");
        int batch = batchSize ?? preset.BatchSize;
        int size = imageSize ?? preset.Transform.CropTo;
        if (batch < 1) throw new AnomalyMoEException($"--batch must be at least 1, got {batch}.");
        int patch = preset.Model.Encoder.PatchSize;
        if (size < patch || size % patch != 0) throw new AnomalyMoEException($"--size must be a positive multiple of the patch size {patch}, got {size}.");
        var device = TorchRuntime.Resolve(deviceChoice);
        var options = preset.Model with { Execution = ExpertExecution.Dense };
        int globalSize = Math.Max(preset.GlobalInputSize, GlobalExpert.AutoencoderMinimumInput);
        using var gpu = device.type == DeviceType.CUDA ? GpuMemoryProbe.TryOpen() : null;

        manual_seed(0);
        using var encoder = Dinov2Encoder.CreateRandom(options.Encoder!).WithPrecision(precision);
        encoder.MoveTo(device);
        using var model = new AnomalyMoEModel(options, null);
        ParameterInitialization.ApplyReference(model);
        using var eir = new ExpertInformationRepulsion(new ExpertInformationRepulsionOptions(options.EmbedDim, options.Objectives.ClubLikelihood));
        model.to(device);
        eir.to(device);
        long encoderParameters = EncoderParameters(encoder);
        long modelParameters = model.parameters().Sum(p => p.numel());
        long estimatorParameters = eir.parameters().Sum(p => p.numel());
        using var optimizer = new StableAdamW(model.named_parameters(), StableAdamWOptions.Reference with { LearningRate = preset.LearningRate });
        using var estimatorOptimizer = new Adam(eir.named_parameters(), preset.LearningRate, weightDecay: 1e-4);

        using var image = randn(batch, 3, size, size, device: device);
        using var jittered = randn(batch, 3, size, size, device: device);
        var masks = Enumerable.Range(0, batch).Select(_ => QuadrantMasks(size, device)).ToArray();
        var random = new Random(0);
        try
        {
            double Forward()
            {
                var clock = Stopwatch.StartNew();
                using (no_grad())
                using (NewDisposeScope())
                {
                    model.eval();
                    using var input = Encode(encoder, options, preset, image, jittered, masks, globalSize);
                    using var output = model.forward(input.Input);
                    output.Routing.Weights.sum().item<float>();
                }
                gpu?.Sample();
                return clock.Elapsed.TotalMilliseconds;
            }
            double Train()
            {
                var clock = Stopwatch.StartNew();
                using (NewDisposeScope())
                {
                    using var input = Encode(encoder, options, preset, image, jittered, masks, globalSize);
                    AnomalyMoETrainer.Step(model, eir, input.Input, optimizer, estimatorOptimizer, preset.LearningRate, random,
                        preset.GradientClipping, preset.UnselectedExperts);
                }
                gpu?.Sample();
                return clock.Elapsed.TotalMilliseconds;
            }
            Forward();
            var forward = Median(Enumerable.Range(0, runs).Select(_ => Forward()));
            Train();
            var train = Median(Enumerable.Range(0, runs).Select(_ => Train()));
            return new RandomStepBenchmarkResult(preset.Name, device.type.ToString().ToLowerInvariant(), precision, batch, size, runs,
                encoderParameters, modelParameters, estimatorParameters, forward, train, Process.GetCurrentProcess().PeakWorkingSet64, gpu?.PeakUsedBytes);
        }
        finally
        {
            foreach (var m in masks) m.Dispose();
        }
    }

    /// <summary>
    /// The JSON object of <c>amoe bench step --preset</c> and of the GPU check's step parts: memory in MiB,
    /// <c>peak_gpu_used_mib</c> null off CUDA.
    /// </summary>
    public static Dictionary<string, object?> Json(RandomStepBenchmarkResult r) => new()
    {
        ["preset"] = r.Preset, ["device"] = r.Device, ["precision"] = r.Precision.Name(), ["batch"] = r.BatchSize, ["image_size"] = r.ImageSize,
        ["runs"] = r.Runs, ["cores"] = Environment.ProcessorCount, ["weights"] = "random",
        ["parameters"] = r.Parameters, ["encoder_parameters"] = r.EncoderParameters, ["model_parameters"] = r.ModelParameters,
        ["estimator_parameters"] = r.EstimatorParameters,
        ["forward_ms"] = r.ForwardMs, ["train_step_ms"] = r.TrainStepMs,
        ["peak_rss_mib"] = r.PeakWorkingSetBytes / 1048576.0, ["peak_gpu_used_mib"] = r.PeakGpuUsedBytes is { } g ? g / 1048576.0 : null,
    };

    /// <summary>The encoder's outputs for both views, held for one step.</summary>
    internal sealed class EncodedInput(AnomalyMoEInput input, EncoderOutput image, EncoderOutput jittered, Tensor globalView) : IDisposable
    {
        public AnomalyMoEInput Input { get; } = input;

        public void Dispose()
        {
            image.Dispose();
            jittered.Dispose();
            globalView.Dispose();
        }
    }

    internal static EncodedInput Encode(IFeatureEncoder encoder, AnomalyMoEOptions options, TrainingPreset preset, Tensor image, Tensor jittered,
        IReadOnlyList<Tensor> masks, int globalSize)
    {
        var imageTokens = encoder.Encode(image, options.TapLayers);
        var jitteredTokens = encoder.Encode(jittered, options.TapLayers);
        var globalView = ModelBatch.GlobalViewOf(jittered, preset with { GlobalInputSize = globalSize });
        var input = new AnomalyMoEInput(image, globalView, options.ComponentExperts > 0 ? masks : null)
        {
            ImageTokens = imageTokens,
            JitteredTokens = jitteredTokens,
        };
        return new EncodedInput(input, imageTokens, jitteredTokens, globalView);
    }

    /// <summary>Four components per image (the quadrants), in the <c>[n,H,W]</c> uint8 form the component segmenter produces.</summary>
    internal static Tensor QuadrantMasks(int size, Device device)
    {
        using var scope = NewDisposeScope();
        var rows = arange(size, device: device).lt(size / 2).view(size, 1).expand(size, size);
        var cols = arange(size, device: device).lt(size / 2).view(1, size).expand(size, size);
        return stack([rows & cols, rows & ~cols, ~rows & cols, ~rows & ~cols]).to_type(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    internal static long EncoderParameters(IFeatureEncoder encoder) => encoder switch
    {
        Dinov2Encoder dino => dino.Model.parameters().Sum(p => p.numel()),
        BFloat16Encoder reduced => EncoderParameters(reduced.Inner),
        _ => 0,
    };

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
