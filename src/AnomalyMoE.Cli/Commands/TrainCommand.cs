using System.CommandLine;
using System.Globalization;
using AnomalyMoE.Encoders;
using AnomalyMoE.Model;
using AnomalyMoE.Routing;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;

namespace AnomalyMoE.Cli.Commands;

/// <summary><c>amoe train --data ROOT[,ROOT…] [--categories a,b] --preset NAME [--method anomalymoe|patchcore] --out RUN [--iters N] [--resume]</c>.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "dataset root(s) in MVTec layout, comma-separated; all are trained together", Required = true };
        var categories = new Option<string?>("--categories") { Description = "comma-separated category folders (default: every category of every root)" };
        var preset = new Option<string>("--preset") { Description = $"one of {string.Join(", ", TrainingPresets.All.Keys)}", DefaultValueFactory = _ => "cpu-tiny" };
        var method = new Option<string>("--method") { Description = "anomalymoe or patchcore", DefaultValueFactory = _ => "anomalymoe" };
        var output = new Option<string>("--out") { Description = "run folder (config, checkpoints, losses.csv, reports)", Required = true };
        var iters = new Option<int?>("--iters") { Description = "training iterations (default: the preset's)" };
        var resume = new Option<bool>("--resume") { Description = "continue from the run folder's last checkpoint" };
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 42 };
        var stopAfter = new Option<int?>("--stop-after") { Description = "stop (with a checkpoint) after this many iterations, keeping the full schedule; continue with --resume" };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "iterations between checkpoints (default: the preset's)" };
        var encoderWeights = new Option<string?>("--encoder-weights") { Description = "DINOv2 weights file (paper preset)" };
        var levels = new Option<string?>("--levels") { Description = "expert levels to keep: any of p (patch), c (component), g (global); default pcg" };
        var topK = new Option<int?>("--topk") { Description = "experts each image selects (default: the preset's)" };
        var learningRate = new Option<double?>("--lr") { Description = "base learning rate (default: the preset's)" };
        var batchSize = new Option<int?>("--batch") { Description = "images per iteration (default: the preset's)" };
        var routing = new Option<string?>("--routing") { Description = "all-experts (top-k over every expert, the reference) or per-level (top-k within each level); default: the preset's" };
        var device = CommandSupport.DeviceOption();
        var quiet = CommandSupport.QuietOption();
        var command = new Command("train", "Train one AnomalyMoE model on every given category at once (or build the PatchCore baseline).")
        {
            data, categories, preset, method, output, iters, resume, seed, stopAfter, checkpointEvery, encoderWeights, levels, topK, routing, learningRate, batchSize, device, quiet,
        };
        var precision = CommandSupport.PrecisionOption();
        command.Options.Add(precision);
        var featureCache = new Option<int>("--feature-cache-mib")
        {
            Description = "host memory (MiB) for the encoder's token maps of the training images, so later epochs skip the encoder; 0 turns it off",
            DefaultValueFactory = _ => TrainingSettings.DefaultFeatureCacheMiB,
        };
        command.Options.Add(featureCache);
        var execution = new Option<string?>("--execution") { Description = "dense (every expert runs, the reference) or sparse (experts no image of the batch selected are skipped); default: the preset's" };
        command.Options.Add(execution);
        var clipping = new Option<string?>("--clip") { Description = "joint (one gradient norm over experts and router, the reference) or per-level (one per expert level and one for the router); default: the preset's" };
        command.Options.Add(clipping);
        var unselected = new Option<string?>("--unselected") { Description = "step (the optimiser steps every expert, the reference) or hold (experts no image of the batch selected keep their weights and optimiser state); default: the preset's" };
        command.Options.Add(unselected);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            // Option values are checked before the data is read, so a typo is reported as such.
            RoutingScope? routingScope = parse.GetValue(routing) is { } r ? CommandSupport.ParseRouting(r) : null;
            ExpertExecution? executionMode = parse.GetValue(execution) is { } x ? CommandSupport.ParseExecution(x) : null;
            GradientClipScope? clipScope = parse.GetValue(clipping) is { } c ? GradientClipping.Parse(c) : null;
            UnselectedExpertUpdate? unselectedUpdate = parse.GetValue(unselected) is { } u ? UnselectedExperts.Parse(u) : null;
            var config = new TrainingRunConfig
            {
                Preset = TrainingPresets.Get(parse.GetRequiredValue(preset)).Name,
                Method = ParseMethod(parse.GetRequiredValue(method)),
                Data = CommandSupport.ParseData(parse.GetRequiredValue(data), parse.GetValue(categories)),
                Iterations = parse.GetValue(iters),
                Seed = parse.GetValue(seed),
                EncoderWeights = parse.GetValue(encoderWeights),
                Levels = parse.GetValue(levels)?.Trim().ToLowerInvariant(),
                TopK = parse.GetValue(topK),
                Routing = routingScope,
                LearningRate = parse.GetValue(learningRate),
                BatchSize = parse.GetValue(batchSize),
                Execution = executionMode,
                Clipping = clipScope,
                UnselectedExperts = unselectedUpdate,
            };
            config.ResolvePreset();
            if (config.Iterations is < 1) throw new AnomalyMoEException($"--iters must be at least 1, got {config.Iterations}.");
            var run = new RunDirectory(Path.GetFullPath(parse.GetRequiredValue(output)));
            var deviceChoice = TorchRuntime.ParseDevice(parse.GetRequiredValue(device));
            Execute(run, config, new TrainingSettings(deviceChoice, parse.GetValue(resume), parse.GetValue(stopAfter), parse.GetValue(checkpointEvery),
                EncoderPrecisions.Parse(parse.GetRequiredValue(precision)), parse.GetValue(featureCache)), parse.GetValue(quiet), stdout, stderr);
            return 0;
        });
        return command;
    }

    public static DetectionMethod ParseMethod(string text) => text.Trim().ToLowerInvariant() switch
    {
        "anomalymoe" => DetectionMethod.AnomalyMoE,
        "patchcore" => DetectionMethod.PatchCore,
        _ => throw new AnomalyMoEException($"Unknown method '{text}'; choose anomalymoe or patchcore."),
    };

    /// <summary>Trains (or builds the baseline) with progress and Ctrl-C handling; prints a summary line.</summary>
    public static TrainingResult? Execute(RunDirectory run, TrainingRunConfig config, TrainingSettings settings, bool quiet, TextWriter stdout, TextWriter stderr)
    {
        if (config.Method == DetectionMethod.PatchCore)
        {
            var sizes = CommandSupport.WithProgress(quiet, stderr, progress => PatchCoreTrainer.Train(run, config, settings.Device, progress, settings.Precision));
            stdout.WriteLine($"built {sizes.Count} PatchCore memory banks ({string.Join(", ", sizes.Select(kv => $"{kv.Key}: {kv.Value}"))}) in {run.Root}");
            return null;
        }
        using var cancel = CommandSupport.CancelOnCtrlC();
        var result = CommandSupport.WithProgress(quiet, stderr, progress => AnomalyMoETrainer.Train(run, config, settings, progress, cancel.Token));
        var rss = string.Join(", ", result.WorkingSetAt.OrderBy(kv => kv.Key).Select(kv => $"RSS@{kv.Key} {kv.Value / 1048576.0:F0} MiB"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(result.Interrupted ? "interrupted; checkpoint written" : "trained")} iterations {result.StartIteration}→{result.CompletedIterations} of {result.TotalIterations} in {result.Elapsed.TotalSeconds:F1} s ({result.ImagesPerSecond:F1} images/s, peak RSS {result.PeakWorkingSetBytes / 1048576.0:F0} MiB{(rss.Length > 0 ? ", " + rss : "")}); run {run.Root}"));
        return result;
    }
}
