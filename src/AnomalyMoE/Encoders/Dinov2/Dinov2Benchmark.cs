using System.Diagnostics;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Encoders.Dinov2;

/// <summary>
/// Throughput of a DINOv2 encoder and the share of its forward time spent in matrix kernels.
/// <see cref="GemmMs"/>: the patch-embedding convolution plus the four linear layers of every block
/// (qkv, proj, fc1, fc2), re-run alone with the forward's exact shapes. <see cref="AttentionMs"/>: the fused
/// <c>scaled_dot_product_attention</c> of every block (QKᵀ, softmax and ·V in one kernel), re-run alone.
/// What remains (LayerNorm, GELU, residual adds, LayerScale, reshapes, token assembly) is the non-matrix part.
/// </summary>
public sealed record Dinov2BenchmarkResult(
    string Model,
    int ImageSize,
    int Batch,
    int Iterations,
    int Threads,
    string Device,
    double ForwardMs,
    double ImagesPerSecond,
    double GemmMs,
    double AttentionMs)
{
    /// <summary>Share of the forward spent in convolution/linear GEMMs.</summary>
    public double GemmShare => GemmMs / ForwardMs;

    /// <summary>Share of the forward spent in GEMMs plus the fused attention kernel.</summary>
    public double MatrixShare => (GemmMs + AttentionMs) / ForwardMs;
}

/// <summary>Measures <see cref="Dinov2BenchmarkResult"/> with random weights (throughput does not depend on their values).</summary>
public static class Dinov2Benchmark
{
    public static Dinov2BenchmarkResult Run(Dinov2Options options, int imageSize, int batch, int iterations, int warmup = 1,
        Device? device = null, IProgress<ProgressUpdate>? progress = null)
    {
        options.Validate();
        if (imageSize <= 0 || imageSize % options.PatchSize != 0)
            throw new ArgumentException($"--size must be a positive multiple of the patch size {options.PatchSize}, got {imageSize}.");
        if (batch <= 0) throw new ArgumentException($"--batch must be positive, got {batch}.");
        if (iterations <= 0) throw new ArgumentException($"--iters must be positive, got {iterations}.");
        if (warmup < 0) throw new ArgumentException($"warm-up iterations must be 0 or more, got {warmup}.");
        TorchRuntime.EnsureLoaded();
        device ??= torch.CPU;

        using var encoder = Dinov2Encoder.CreateRandom(options, seed: 0);
        encoder.MoveTo(device);
        using var images = torch.randn([batch, 3, imageSize, imageSize], device: device);
        int[] lastBlock = [options.Depth - 1];
        long total = 3L * (warmup + iterations);
        long done = 0;

        double forwardMs = Time(warmup, iterations, () => encoder.Encode(images, lastBlock).Dispose(), device,
            () => progress.Report("forward", ++done, total));

        using var noGrad = torch.no_grad();
        var state = encoder.Model.state_dict();
        int grid = imageSize / options.PatchSize;
        long tokens = options.PrefixTokens + (long)grid * grid;
        int d = options.Width, heads = options.Heads;
        using var x = torch.randn([batch, tokens, d], device: device);
        using var hidden = torch.randn([batch, tokens, options.MlpHidden], device: device);
        using var q = torch.randn([batch, heads, tokens, d / heads], device: device);
        using var k = torch.randn([batch, heads, tokens, d / heads], device: device);
        using var v = torch.randn([batch, heads, tokens, d / heads], device: device);
        Tensor W(string name) => state[$"blocks.0.{name}"];

        double gemmMs = Time(warmup, iterations, () =>
        {
            using var scope = NewDisposeScope();
            nn.functional.conv2d(images, state["patch_embed.proj.weight"], state["patch_embed.proj.bias"], strides: [options.PatchSize, options.PatchSize]);
            for (int i = 0; i < options.Depth; i++)
            {
                nn.functional.linear(x, W("attn.qkv.weight"), W("attn.qkv.bias"));
                nn.functional.linear(x, W("attn.proj.weight"), W("attn.proj.bias"));
                nn.functional.linear(x, W("mlp.fc1.weight"), W("mlp.fc1.bias"));
                nn.functional.linear(hidden, W("mlp.fc2.weight"), W("mlp.fc2.bias"));
            }
        }, device, () => progress.Report("matrix kernels", ++done, total));

        double attentionMs = Time(warmup, iterations, () =>
        {
            using var scope = NewDisposeScope();
            for (int i = 0; i < options.Depth; i++) nn.functional.scaled_dot_product_attention(q, k, v);
        }, device, () => progress.Report("attention kernel", ++done, total));

        return new Dinov2BenchmarkResult(options.Name, imageSize, batch, iterations, torch.get_num_threads(), device.ToString(),
            forwardMs, batch * 1000.0 / forwardMs, gemmMs, attentionMs);
    }

    /// <summary>Mean milliseconds per call over <paramref name="iterations"/> timed calls after <paramref name="warmup"/> untimed ones.</summary>
    static double Time(int warmup, int iterations, Action work, Device device, Action step)
    {
        for (int i = 0; i < warmup; i++) { work(); step(); }
        Synchronize(device);
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) { work(); step(); }
        Synchronize(device);
        return watch.Elapsed.TotalMilliseconds / iterations;
    }

    static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
    }
}
