using System.CommandLine;
using System.Globalization;
using AnomalyMoE.Engine;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;

namespace AnomalyMoE.Cli.Commands;

/// <summary><c>amoe train --data ROOT[,ROOT…] [--categories a,b] --preset NAME [--method anomalymoe|patchcore] --out RUN [--iters N] [--resume]</c>.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "dataset root(s) in MVTec layout, comma-separated; all are trained together", Required = true };
        var categories = new Option<string?>("--categories") { Description = "comma-separated category folders (default: every category of every root)" };
        var output = new Option<string>("--out") { Description = "run folder (config, checkpoints, losses.csv, reports)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "continue from the run folder's last checkpoint (refused when the run's switches differ)" };
        var quiet = CommandSupport.QuietOption();
        var command = new Command("train", "Train one AnomalyMoE model on every given category at once (or build the PatchCore baseline).")
        {
            data, categories, output, resume, quiet,
        };
        var switches = SwitchOptions.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            // Option values are checked before the data is read, so a typo is reported as such.
            var run = switches.Read(parse, Defaults([]));
            run = run with
            {
                Config = run.Config with { Data = CommandSupport.ParseData(parse.GetRequiredValue(data), parse.GetValue(categories)) },
                Settings = run.Settings with { Resume = parse.GetValue(resume) },
            };
            run.Config.ResolvePreset();
            Execute(new RunDirectory(Path.GetFullPath(parse.GetRequiredValue(output))), run.Config, run.Settings, parse.GetValue(quiet), stdout, stderr);
            return 0;
        });
        return command;
    }

    /// <summary>The run a command asks for before any option: the cpu-tiny preset, the AnomalyMoE method, the default settings.</summary>
    public static TrainingRun Defaults(IReadOnlyList<DataRoot> data) =>
        new(new TrainingRunConfig { Preset = TrainingPresets.CpuTiny.Name, Data = data }, new TrainingSettings());

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
        stdout.WriteLine(Summary(result, run));
        return result;
    }

    /// <summary>The line that reports a training: iterations, time, throughput and memory.</summary>
    public static string Summary(TrainingResult result, RunDirectory run)
    {
        var rss = string.Join(", ", result.WorkingSetAt.OrderBy(kv => kv.Key).Select(kv => $"RSS@{kv.Key} {kv.Value / 1048576.0:F0} MiB"));
        return string.Create(CultureInfo.InvariantCulture,
            $"{(result.Interrupted ? "interrupted; checkpoint written" : "trained")} iterations {result.StartIteration}→{result.CompletedIterations} of {result.TotalIterations} in {result.Elapsed.TotalSeconds:F1} s ({result.ImagesPerSecond:F1} images/s, peak RSS {result.PeakWorkingSetBytes / 1048576.0:F0} MiB{(rss.Length > 0 ? ", " + rss : "")}); run {run.Root}");
    }
}
