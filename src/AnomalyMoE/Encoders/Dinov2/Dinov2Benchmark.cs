using System.Diagnostics;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Encoders.Dinov2;

/// <summary>Mean wall-clock and process CPU milliseconds (all threads) of one phase per iteration.</summary>
public sealed record PhaseTime(double WallMs, double CpuMs);

/// <summary>
/// Throughput of a DINOv2 encoder and the share of its forward time spent in matrix kernels.
/// <see cref="Forward"/>: one frozen <see cref="Dinov2Encoder.Encode"/> of the batch.
/// <see cref="Gemm"/>: the patch-embedding convolution plus the four linear layers of every block
/// (qkv, proj, fc1, fc2), re-run alone with the forward's exact shapes. <see cref="Attention"/>: the fused
/// <c>scaled_dot_product_attention</c> of every block (QKᵀ, softmax and ·V in one kernel), re-run alone.
/// What remains (LayerNorm, GELU, residual adds, LayerScale, reshapes, token assembly) is the non-matrix part.
/// The three phases are interleaved within each iteration so that a changing machine load affects them alike;
/// CPU times are less sensitive than wall-clock times to other processes on a shared machine.
/// </summary>
public sealed record Dinov2BenchmarkResult(
    string Model,
    int ImageSize,
    int Batch,
    int Iterations,
    int Threads,
    string Device,
    PhaseTime Forward,
    PhaseTime Gemm,
    PhaseTime Attention)
{
    public double ImagesPerSecond => Batch * 1000.0 / Forward.WallMs;

    /// <summary>Share of forward wall time in convolution/linear GEMMs.</summary>
    public double GemmShare => Gemm.WallMs / Forward.WallMs;

    /// <summary>Share of forward wall time in GEMMs plus the fused attention kernel.</summary>
    public double MatrixShare => (Gemm.WallMs + Attention.WallMs) / Forward.WallMs;

    /// <summary>As <see cref="MatrixShare"/>, from process CPU time.</summary>
    public double MatrixShareCpu => (Gemm.CpuMs + Attention.CpuMs) / Forward.CpuMs;
}

/// <summary>Measures <see cref="Dinov2BenchmarkResult"/> with random weights (throughput does not depend on their values).</summary>
public static class Dinov2Benchmark
{
    public static Dinov2BenchmarkResult Run(Dinov2Options options, int imageSize, int batch, int iterations, int warmup = 1,
        Device? device = null, IProgress<ProgressUpdate>? progress = null)
    {
        options.Validate();
        if (imageSize <= 0 || imageSize % options.PatchSize != 0)
            throw new AnomalyMoEException($"--size must be a positive multiple of the patch size {options.PatchSize}, got {imageSize}.");
        if (batch <= 0) throw new AnomalyMoEException($"--batch must be positive, got {batch}.");
        if (iterations <= 0) throw new AnomalyMoEException($"--iters must be positive, got {iterations}.");
        if (warmup < 0) throw new AnomalyMoEException($"warm-up iterations must be 0 or more, got {warmup}.");
        TorchRuntime.EnsureLoaded();
        device ??= torch.CPU;

        using var encoder = Dinov2Encoder.CreateRandom(options, seed: 0);
        encoder.MoveTo(device);
        using var noGrad = torch.no_grad();
        using var images = torch.randn([batch, 3, imageSize, imageSize], device: device);
        int[] lastBlock = [options.Depth - 1];

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

        void Forward() => encoder.Encode(images, lastBlock).Dispose();
        // Each result is disposed at once, as in the forward, so the allocator reuses memory in both measurements.
        void Gemm()
        {
            nn.functional.conv2d(images, state["patch_embed.proj.weight"], state["patch_embed.proj.bias"], strides: [options.PatchSize, options.PatchSize]).Dispose();
            for (int i = 0; i < options.Depth; i++)
            {
                nn.functional.linear(x, W("attn.qkv.weight"), W("attn.qkv.bias")).Dispose();
                nn.functional.linear(x, W("attn.proj.weight"), W("attn.proj.bias")).Dispose();
                nn.functional.linear(x, W("mlp.fc1.weight"), W("mlp.fc1.bias")).Dispose();
                nn.functional.linear(hidden, W("mlp.fc2.weight"), W("mlp.fc2.bias")).Dispose();
            }
        }
        void Attention()
        {
            for (int i = 0; i < options.Depth; i++) nn.functional.scaled_dot_product_attention(q, k, v).Dispose();
        }

        var totals = new (double Wall, double Cpu)[3];
        Action[] phases = [Forward, Gemm, Attention];
        for (int iteration = 0; iteration < warmup + iterations; iteration++)
        {
            for (int p = 0; p < phases.Length; p++)
            {
                var (wall, cpu) = Time(phases[p], device);
                if (iteration >= warmup) totals[p] = (totals[p].Wall + wall, totals[p].Cpu + cpu);
            }
            progress.Report("bench encoder", iteration + 1, warmup + iterations);
        }
        PhaseTime Mean(int p) => new(totals[p].Wall / iterations, totals[p].Cpu / iterations);
        return new Dinov2BenchmarkResult(options.Name, imageSize, batch, iterations, torch.get_num_threads(), device.ToString(),
            Mean(0), Mean(1), Mean(2));
    }

    static (double WallMs, double CpuMs) Time(Action work, Device device)
    {
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        work();
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
        watch.Stop();
        process.Refresh();
        return (watch.Elapsed.TotalMilliseconds, (process.TotalProcessorTime - cpuBefore).TotalMilliseconds);
    }
}
