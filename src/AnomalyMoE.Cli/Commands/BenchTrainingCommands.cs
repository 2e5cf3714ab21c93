using System.CommandLine;
using System.Text.Json;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;

namespace AnomalyMoE.Cli.Commands;

/// <summary><c>amoe bench step --fixture DIR</c> and <c>amoe bench train --preset NAME</c>.</summary>
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
        var iters = new Option<int>("--iters") { Description = "iterations to train", DefaultValueFactory = _ => 20 };
        var device = CommandSupport.DeviceOption();
        var command = new Command("train", "Train a preset briefly on small synthetic data; print images/s and peak memory as JSON.") { preset, iters, device };
        command.SetAction(parse =>
        {
            var r = TrainingBenchmark.Train(TrainingPresets.Get(parse.GetRequiredValue(preset)), parse.GetValue(iters), TorchRuntime.ParseDevice(parse.GetRequiredValue(device)));
            parse.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["preset"] = r.Preset, ["iterations"] = r.Iterations, ["batch"] = r.BatchSize, ["cores"] = Environment.ProcessorCount,
                ["images_per_second"] = r.ImagesPerSecond, ["seconds_per_iteration"] = r.SecondsPerIteration,
                ["peak_rss_mib"] = r.PeakWorkingSetBytes / 1048576.0,
            }));
            return 0;
        });
        return command;
    }
}
