using System.CommandLine;
using System.Text.Json;
using AnomalyMoE.Encoders;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;

namespace AnomalyMoE.Cli.Commands;

/// <summary><c>amoe bench step --fixture DIR | --preset NAME [--batch N] [--size PX] [--precision fp32|bf16]</c> and <c>amoe bench train --preset NAME [--iters N] [--precision fp32|bf16]</c>.</summary>
public static class BenchTrainingCommands
{
    public static Command CreateStep()
    {
        var fixture = new Option<string?>("--fixture") { Description = "parity fixture folder (model.pth, expected.pth, meta.json): time its model on its inputs" };
        var preset = new Option<string?>("--preset") { Description = "a DINOv2 preset (paper): time it with random weights on random images, all experts dense" };
        var batch = new Option<int?>("--batch") { Description = "with --preset: images per step (default: the preset's)" };
        var size = new Option<int?>("--size") { Description = "with --preset: square image side in pixels, a multiple of 14 (default: the preset's crop)" };
        var precision = CommandSupport.PrecisionOption();
        var runs = new Option<int>("--runs") { Description = "timed runs per measurement (median reported)", DefaultValueFactory = _ => 5 };
        var device = CommandSupport.DeviceOption();
        var command = new Command("step", "Median forward_ms and train_step_ms (main + estimator step) at a parity fixture's configuration and inputs, or of a preset with random weights.")
        {
            fixture, preset, batch, size, precision, runs, device,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var deviceChoice = CommandSupport.Device(parse, device);
            var precisionChoice = CommandSupport.Precision(parse, precision);
            var folder = parse.GetValue(fixture);
            if ((folder is null) == (parse.GetValue(preset) is null))
                throw new AnomalyMoEException("bench step needs exactly one of --fixture DIR or --preset NAME.");
            if (parse.GetValue(preset) is { } name)
            {
                var r = RandomStepBenchmark.Run(TrainingPresets.Get(name), parse.GetValue(batch), parse.GetValue(size),
                    precisionChoice, parse.GetValue(runs), deviceChoice);
                output.WriteLine(JsonSerializer.Serialize(StepJson(r)));
                return 0;
            }
            if (parse.GetValue(batch) is not null || parse.GetValue(size) is not null)
                throw new AnomalyMoEException("--batch and --size go with --preset; a fixture's batch and image size are its own.");
            var f = TrainingBenchmark.Step(folder!, parse.GetValue(runs), deviceChoice);
            output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["batch"] = f.BatchSize, ["image_size"] = f.ImageSize, ["runs"] = f.Runs, ["cores"] = Environment.ProcessorCount,
                ["forward_ms"] = f.ForwardMs, ["train_step_ms"] = f.TrainStepMs,
            }));
            return 0;
        });
        return command;
    }

    /// <summary>The JSON object of <c>amoe bench step --preset</c> (<see cref="RandomStepBenchmark.Json"/>).</summary>
    public static Dictionary<string, object?> StepJson(RandomStepBenchmarkResult r) => RandomStepBenchmark.Json(r);

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
            var r = TrainingBenchmark.Train(TrainingPresets.Get(parse.GetRequiredValue(preset)), parse.GetValue(iters), CommandSupport.Device(parse, device),
                precision: CommandSupport.Precision(parse, precision));
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

    /// <summary><c>amoe bench profile</c>: milliseconds per training iteration by phase, for the whole model and each expert level alone.</summary>
    public static Command CreateProfile()
    {
        var preset = new Option<string>("--preset") { Description = $"one of {string.Join(", ", TrainingPresets.All.Keys)}", DefaultValueFactory = _ => "cpu-tiny" };
        var iters = new Option<int>("--iters") { Description = "timed iterations per variant", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "untimed iterations first (they fill the encoder's cache)", DefaultValueFactory = _ => 12 };
        var batch = new Option<int?>("--batch") { Description = "images per iteration (default: the preset's)" };
        var levels = new Option<string>("--levels")
        {
            Description = "comma-separated level sets to profile, each as the train command's --levels (p, c, g)", DefaultValueFactory = _ => "pcg,p,c,g",
        };
        var device = CommandSupport.DeviceOption();
        var command = new Command("profile", "Milliseconds per training iteration by phase (data, encoder, masks, forward, loss, backward, clip, optimiser, estimator) for the whole model and each level alone.")
        {
            preset, iters, warmup, batch, levels, device,
        };
        command.SetAction(parse =>
        {
            var variants = parse.GetRequiredValue(levels).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var rows = TrainingBenchmark.Profile(TrainingPresets.Get(parse.GetRequiredValue(preset)), parse.GetValue(iters), parse.GetValue(warmup),
                parse.GetValue(batch), CommandSupport.Device(parse, device), variants);
            var json = rows.Select(r => new Dictionary<string, object?>
            {
                ["levels"] = r.Levels, ["batch"] = r.BatchSize, ["iterations"] = r.Iterations, ["cores"] = Environment.ProcessorCount,
                ["ms_per_iteration"] = r.MillisecondsPerIteration, ["images_per_second"] = r.ImagesPerSecond,
                ["phases_ms"] = r.Phases.ToDictionary(p => p.Phase, p => (object?)p.MillisecondsPerIteration),
            });
            parse.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });
        return command;
    }

    static double Mib(double bytes) => bytes / 1048576.0;
}
