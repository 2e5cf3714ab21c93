using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AnomalyMoE.Encoders.ResNet;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Cli.Commands;

/// <summary>
/// <c>amoe bench resnet</c>: throughput of the offline ImageNet ResNet18 (CNTK ONNX weights) on random
/// ImageNet-normalised images — the pooled 512-d features and the AnomalyMoE token maps (both layers).
/// </summary>
public static class BenchResNetCommand
{
    public static Command Create()
    {
        var batch = new Option<int>("--batch") { Description = "Images per forward pass.", DefaultValueFactory = _ => 8 };
        var size = new Option<int>("--size") { Description = "Square input size in pixels.", DefaultValueFactory = _ => 224 };
        var iterations = new Option<int>("--iterations") { Description = "Timed forward passes.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed forward passes first.", DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0: libtorch's default).", DefaultValueFactory = _ => 0 };
        var device = CommandSupport.DeviceOption(DeviceChoice.Cpu);
        var model = new Option<string?>("--model") { Description = "ResNet18.onnx path (default: next to the program, then the NuGet cache)." };
        var command = new Command("resnet", "Measure ResNet18 (offline ONNX weights) encoder throughput in images/s.")
        {
            batch, size, iterations, warmup, threads, device, model,
        };
        command.SetAction(parse =>
        {
            var options = new Settings(parse.GetValue(batch), parse.GetValue(size), parse.GetValue(iterations),
                parse.GetValue(warmup), parse.GetValue(threads), CommandSupport.Device(parse, device), parse.GetValue(model));
            options.Validate();
            Run(options, parse.InvocationConfiguration.Output);
            return 0;
        });
        return command;
    }

    sealed record Settings(int Batch, int Size, int Iterations, int Warmup, int Threads, DeviceChoice Device, string? Model)
    {
        public void Validate()
        {
            if (Batch < 1) throw new AnomalyMoEException($"--batch must be at least 1, got {Batch}.");
            if (Size < 32) throw new AnomalyMoEException($"--size must be at least 32 pixels, got {Size}.");
            if (Iterations < 1) throw new AnomalyMoEException($"--iterations must be at least 1, got {Iterations}.");
            if (Warmup < 0) throw new AnomalyMoEException($"--warmup must not be negative, got {Warmup}.");
            if (Threads < 0) throw new AnomalyMoEException($"--threads must not be negative, got {Threads}.");
        }
    }

    static void Run(Settings s, TextWriter output)
    {
        var target = TorchRuntime.Resolve(s.Device);
        if (s.Threads > 0) set_num_threads(s.Threads);
        var load = Stopwatch.StartNew();
        using var encoder = ResNetTokenEncoder.LoadResNet18Onnx(s.Model);
        encoder.MoveTo(target);
        var backbone = (CntkResNet18Backbone)encoder.Backbone;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"resnet18_onnx: loaded and converted in {load.Elapsed.TotalSeconds:F1} s; device {target.type}, {get_num_threads()} threads, batch {s.Batch}, {s.Size}×{s.Size} px"));
        using var images = randn([s.Batch, 3, s.Size, s.Size], device: target);
        int[] layers = [0, 1];

        double pooled = Measure(s, () =>
        {
            using var _ = no_grad();
            backbone.PooledFeatures(images).Dispose();
        });
        double tokens = Measure(s, () => encoder.Encode(images, layers).Dispose());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pooled 512-d features: {pooled:F1} images/s"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"token maps (2 layers × 384): {tokens:F1} images/s"));
    }

    static double Measure(Settings s, Action pass)
    {
        for (int i = 0; i < s.Warmup; i++) pass();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < s.Iterations; i++) pass();
        return s.Batch * s.Iterations / clock.Elapsed.TotalSeconds;
    }
}
