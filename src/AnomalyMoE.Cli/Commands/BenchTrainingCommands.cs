using System.CommandLine;
using System.Text.Json;
using AnomalyMoE.Encoders;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;

namespace AnomalyMoE.Cli.Commands;

/// <summary><c>amoe bench step --fixture DIR</c> and <c>amoe bench train --preset NAME [--iters N] [--precision fp32|bf16]</c>.</summary>
public static class BenchTrainingCommands
{
    public static Command CreateStep()
    {
        var fixture = new Option<string>("--fixture") { Description = "parity fixture folder (model.pth, expected.pth, meta.json)", Required = true };
        var runs = new Option<int>("--runs") { Description = "timed runs per measurement (median reported)", DefaultValueFactory = _ => 5 };
        var device = CommandSupport.DeviceOption();
        var command = new Command("step", "Median forward_ms and train_step_ms (main + estimator step) at a parity fixture's configuration and inputs.") { fixture, runs, device };
        command.SetAction(parse =>
        {
            var r = TrainingBenchmark.Step(parse.GetRequiredValue(fixture), parse.GetValue(runs), TorchRuntime.ParseDevice(parse.GetRequiredValue(device)));
            parse.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["batch"] = r.BatchSize, ["image_size"] = r.ImageSize, ["runs"] = r.Runs, ["cores"] = Environment.ProcessorCount,
                ["forward_ms"] = r.ForwardMs, ["train_step_ms"] = r.TrainStepMs,
            }));
            return 0;
        });
        return command;
    }

    public static Command CreateTrain()
    {
        var preset = new Option<string>("--preset") { Description = $"one of {string.Join(", ", TrainingPresets.All.Keys)}", DefaultValueFactory = _ => "cpu-tiny" };
        var iters = new Option<int>("--iters")
        {
            Description = "iterations to train; past 100, the JSON also gives RSS after iteration 100 and after the last, and the growth per 100 iterations",
            DefaultValueFactory = _ => 20,
        };
        var device = CommandSupport.DeviceOption();
        var precision = CommandSupport.PrecisionOption();
        var command = new Command("train", "Train a preset on small synthetic data; print images/s, peak memory and memory growth as JSON.") { preset, iters, device, precision };
        command.SetAction(parse =>
        {
            var r = TrainingBenchmark.Train(TrainingPresets.Get(parse.GetRequiredValue(preset)), parse.GetValue(iters), TorchRuntime.ParseDevice(parse.GetRequiredValue(device)),
                precision: EncoderPrecisions.Parse(parse.GetRequiredValue(precision)));
            parse.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(TrainJson(r)));
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The JSON object <c>amoe bench train</c> prints. Memory in MiB: <c>peak_rss_mib</c>; <c>rss_at_100_mib</c> (after
    /// iteration 100), <c>rss_at_end_mib</c> (after the last iteration) and <c>rss_growth_mib_per_100_iterations</c>
    /// between them (null when the run is too short to have them).
    /// </summary>
    public static Dictionary<string, object?> TrainJson(TrainBenchmarkResult r) => new()
    {
        ["preset"] = r.Preset, ["iterations"] = r.Iterations, ["batch"] = r.BatchSize, ["cores"] = Environment.ProcessorCount,
        ["precision"] = r.Precision.Name(),
        ["images_per_second"] = r.ImagesPerSecond, ["seconds_per_iteration"] = r.SecondsPerIteration,
        ["peak_rss_mib"] = Mib(r.PeakWorkingSetBytes),
        ["rss_at_100_mib"] = r.WorkingSetAtBaseline is { } start ? Mib(start) : null,
        ["rss_at_end_mib"] = r.WorkingSetAtEnd is { } end ? Mib(end) : null,
        ["rss_growth_mib_per_100_iterations"] = r.GrowthPer100Iterations is { } growth ? Mib(growth) : null,
    };

    static double Mib(double bytes) => bytes / 1048576.0;
}
