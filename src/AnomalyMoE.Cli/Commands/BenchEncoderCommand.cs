using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using AnomalyMoE.Encoders.Dinov2;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Cli.Commands;

/// <summary>
/// <c>amoe bench encoder --model vit-s14 --size 392 [--batch N] [--iters N] [--threads N] [--device cpu]</c>: encoder throughput
/// (images/s) with random weights, and the share of forward time in matrix kernels, as one JSON object.
/// A sub-verb of <c>amoe bench</c>.
/// </summary>
public static class BenchEncoderCommand
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Encoder: vit-s14, vit-b14, vit-l14 (each also -reg4) or tiny.", DefaultValueFactory = _ => "vit-s14" };
        var size = new Option<int>("--size") { Description = "Square input side in pixels (a multiple of 14).", DefaultValueFactory = _ => 392 };
        var batch = new Option<int>("--batch") { Description = "Images per forward pass.", DefaultValueFactory = _ => 1 };
        var iters = new Option<int>("--iters") { Description = "Timed forward passes (after one warm-up pass).", DefaultValueFactory = _ => 10 };
        var threads = new Option<int?>("--threads") { Description = "CPU threads for libtorch (default: libtorch's choice)." };
        var device = CommandSupport.DeviceOption(DeviceChoice.Cpu);

        var command = new Command("encoder", "Measure encoder throughput (images/s) and the share of time in matrix kernels; prints JSON.")
        {
            model, size, batch, iters, threads, device,
        };
        command.SetAction(parse =>
        {
            var options = Dinov2Options.FromName(parse.GetValue(model)!);
            var target = TorchRuntime.Resolve(CommandSupport.Device(parse, device));
            if (parse.GetValue(threads) is { } count)
            {
                if (count <= 0) throw new AnomalyMoEException($"--threads must be positive, got {count}.");
                TorchSharp.torch.set_num_threads(count);
            }
            var result = Dinov2Benchmark.Run(options, parse.GetValue(size), parse.GetValue(batch), parse.GetValue(iters), warmup: 1, device: target);
            parse.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(new
            {
                model = result.Model,
                image_size = result.ImageSize,
                batch = result.Batch,
                iterations = result.Iterations,
                threads = result.Threads,
                device = result.Device,
                images_per_s = Math.Round(result.ImagesPerSecond, 3),
                forward_ms = Math.Round(result.Forward.WallMs, 2),
                forward_cpu_ms = Math.Round(result.Forward.CpuMs, 2),
                gemm_ms = Math.Round(result.Gemm.WallMs, 2),
                gemm_cpu_ms = Math.Round(result.Gemm.CpuMs, 2),
                attention_ms = Math.Round(result.Attention.WallMs, 2),
                attention_cpu_ms = Math.Round(result.Attention.CpuMs, 2),
                gemm_share = Math.Round(result.GemmShare, 4),
                matrix_share = Math.Round(result.MatrixShare, 4),
                matrix_share_cpu = Math.Round(result.MatrixShareCpu, 4),
                matrix_share_measured_as = "patch-embed conv + qkv/proj/fc1/fc2 linears (gemm) + fused scaled_dot_product_attention (attention), each re-run alone with the forward's shapes, divided by the forward time; phases interleaved per iteration; *_cpu_ms = process CPU time over all threads",
            }, Json));
            return 0;
        });
        return command;
    }
}
