using System.CommandLine;
using System.Text.Json;
using AnomalyMoE.Evaluation;

namespace AnomalyMoE.Cli.Commands;

/// <summary><c>amoe bench ...</c>: speed measurements, one subcommand per part of the kit; each prints JSON.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Measure how fast parts of the kit run; each subcommand prints JSON.");
        command.Subcommands.Add(CreateMetrics());
        command.Subcommands.Add(BenchResNetCommand.Create());
        command.Subcommands.Add(BenchEncoderCommand.Create());
        command.Subcommands.Add(BenchTrainingCommands.CreateStep());
        command.Subcommands.Add(BenchTrainingCommands.CreateTrain());
        command.Subcommands.Add(BenchTrainingCommands.CreateProfile());
        command.Subcommands.Add(BenchGpuCommand.Create());
        return command;
    }

    /// <summary><c>amoe bench metrics --n N [--seed S] [--runs R] [--no-pixel]</c>.</summary>
    static Command CreateMetrics()
    {
        var n = new Option<int>("--n") { Description = "Number of synthetic scores (and about as many pixels for the map set).", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the synthetic data.", DefaultValueFactory = _ => 0 };
        var runs = new Option<int>("--runs") { Description = "Timed runs; the median is reported (after one untimed warm-up).", DefaultValueFactory = _ => 5 };
        var noPixel = new Option<bool>("--no-pixel") { Description = "Skip the pixel metric set (AUROC, AP, F1-max and AUPRO on synthetic maps)." };
        var command = new Command("metrics", "Time AUROC + AP + F1-max together on N synthetic scores, and the pixel metrics with AUPRO on synthetic maps.")
        {
            n, seed, runs, noPixel,
        };
        command.SetAction(parse =>
        {
            var result = MetricsBenchmark.Run(parse.GetValue(n), parse.GetValue(seed), parse.GetValue(runs), !parse.GetValue(noPixel));
            var json = new Dictionary<string, object?>
            {
                ["n"] = result.N,
                ["seed"] = result.Seed,
                ["runs"] = result.Runs,
                ["cores"] = result.Cores,
                ["auroc_ap_f1_seconds"] = result.BinarySeconds,
                ["auroc_ap_f1_run_seconds"] = result.BinaryRunSeconds,
                ["auroc_ap_f1_run_cpu_seconds"] = result.BinaryRunCpuSeconds,
                ["auroc"] = result.Binary.Auroc,
                ["ap"] = result.Binary.AveragePrecision,
                ["f1_max"] = result.Binary.F1Max,
            };
            if (result.Pixel is { } pixel)
            {
                json["pixel_with_aupro_seconds"] = result.PixelSeconds;
                json["pixel_with_aupro_run_seconds"] = result.PixelRunSeconds;
                json["pixel_with_aupro_run_cpu_seconds"] = result.PixelRunCpuSeconds;
                json["pixel_maps"] = result.PixelMaps;
                json["pixel_map_size"] = result.PixelMapSize;
                json["pixel_auroc"] = pixel.Auroc;
                json["pixel_aupro_0.3"] = pixel.AuproAt(0.3);
                json["pixel_aupro_0.01"] = pixel.AuproAt(0.01);
            }
            parse.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(json));
            return 0;
        });
        return command;
    }
}
