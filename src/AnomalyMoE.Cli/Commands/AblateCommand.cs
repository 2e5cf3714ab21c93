using System.CommandLine;
using System.Globalization;
using AnomalyMoE.Data;
using AnomalyMoE.Engine;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;

namespace AnomalyMoE.Cli.Commands;

/// <summary>
/// <c>amoe ablate --data ROOT --preset NAME --grid "eir=on,off;esb=on,off;levels=pcg,p,c,g,pc,pg;topk=1,2,3" --out DIR</c>,
/// or the same grid written as a job array with <c>--plan DIR</c> and compared afterwards with <c>amoe ablate --collect DIR</c>.
/// </summary>
public static class AblateCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "dataset root(s), comma-separated (not with --collect)" };
        var categories = new Option<string?>("--categories") { Description = "comma-separated categories (default: all)" };
        var grid = new Option<string?>("--grid")
        {
            Description = $"e.g. \"eir=on,off;esb=on,off;levels=pcg,p,c,g,pc,pg;topk=1,2,3\" (cartesian product); keys: {string.Join(", ", RunSwitches.ByGridKey.Keys)}",
        };
        var output = new Option<string?>("--out") { Description = "folder for one run per grid point and the comparison (runs them all here, one after another)" };
        var plan = new Option<string?>("--plan")
        {
            Description = $"instead of running: write DIR/tasks/*.sh (one resumable task per grid point, plus the baseline), DIR/{AblationPlan.TaskRunner} INDEX and the Slurm job array DIR/{AblationPlan.ArrayScript}",
        };
        var collect = new Option<string?>("--collect") { Description = "build the comparison of a --plan folder from the runs that have finished, naming the missing ones" };
        var baseline = new Option<bool>("--no-baseline") { Description = "leave out the PatchCore baseline row" };
        var quiet = CommandSupport.QuietOption();
        var command = new Command("ablate", "Train and evaluate every point of an ablation grid (plus PatchCore), then write one comparison table and plot; or plan the grid as a job array and collect it.")
        {
            data, categories, grid, output, plan, collect, baseline, quiet,
        };
        // Every run switch sets the base of all grid points; the method is the grid's (plus the baseline row), and each run trains to its end.
        var switches = SwitchOptions.AddTo(command, RunSwitches.Method, RunSwitches.StopAfter);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var modes = new[] { parse.GetValue(output), parse.GetValue(plan), parse.GetValue(collect) }.Count(v => v is not null);
            if (modes != 1) throw new AnomalyMoEException("amoe ablate needs exactly one of --out DIR (run the grid here), --plan DIR (write it as a job array) and --collect DIR (compare a plan's finished runs).");
            if (parse.GetValue(collect) is { } collectDir) return Collect(Path.GetFullPath(collectDir), stdout, stderr);

            var points = AblationGrid.Parse(parse.GetValue(grid) ?? throw new AnomalyMoEException("amoe ablate needs --grid, e.g. --grid \"eir=on,off;topk=1,2\"."));
            var baseRun = switches.Read(parse, TrainCommand.Defaults([]));
            var roots = CommandSupport.ParseData(parse.GetValue(data) ?? throw new AnomalyMoEException("amoe ablate needs --data ROOT."), parse.GetValue(categories));
            baseRun = baseRun with { Config = baseRun.Config with { Data = roots }, Settings = baseRun.Settings with { Resume = true } };
            foreach (var point in points) point.Apply(baseRun.Config).ResolvePreset();
            if (parse.GetValue(plan) is { } planDir)
            {
                var tasks = AblationPlan.Write(planDir, baseRun, points, !parse.GetValue(baseline));
                var root = Path.GetFullPath(planDir);
                stdout.WriteLine($"planned {tasks.Count} tasks in {root}:");
                foreach (var t in tasks) stdout.WriteLine($"  {t.Index}: {t.Name}");
                stdout.WriteLine($"run them with `sbatch {Path.Combine(root, AblationPlan.ArrayScript)}` (or `bash {Path.Combine(root, AblationPlan.TaskRunner)} INDEX` each), then `amoe ablate --collect {root}`");
                return 0;
            }
            var outDir = Path.GetFullPath(parse.GetValue(output)!);
            bool quietValue = parse.GetValue(quiet);
            var evaluated = MvtecDatasetReader.Read(baseRun.Config.Sources()).Categories;
            var runs = AblationRunner.Runs(baseRun.Config, points, !parse.GetValue(baseline));
            var rows = new List<AblationRow>();
            using var cancel = CommandSupport.CancelOnCtrlC();
            foreach (var (name, config) in runs)
            {
                stderr.WriteLine($"ablation {rows.Count + 1}/{runs.Count}: {name}");
                var outcome = CommandSupport.WithProgress(quietValue, stderr, progress =>
                    AblationRunner.Run(name, new RunDirectory(Path.Combine(outDir, name)), config, baseRun.Settings, evaluated, 0, progress, cancel.Token));
                if (outcome.Training is { } training) stdout.WriteLine(TrainCommand.Summary(training, outcome.Run));
                if (outcome.Training is { Interrupted: true }) return 130;
                rows.Add(AblationRow.Of(name, outcome.Report));
            }
            WriteComparison(outDir, rows, [], stdout, stderr);
            return 0;
        });
        return command;
    }

    /// <summary><c>--collect DIR</c>: the comparison of a plan's finished tasks; the unfinished ones are named with the command that runs each.</summary>
    static int Collect(string planDir, TextWriter stdout, TextWriter stderr)
    {
        var tasks = AblationPlan.Read(planDir);
        var rows = new List<AblationRow>();
        var missing = new List<AblationTask>();
        foreach (var task in tasks)
        {
            if (File.Exists(task.MetricsPath)) rows.Add(AblationRow.Read(task.Name, task.MetricsPath));
            else missing.Add(task);
        }
        if (rows.Count == 0)
            throw new AnomalyMoEException($"None of the {tasks.Count} ablation tasks in '{planDir}' has finished yet (no reports/metrics.json); missing: {string.Join(", ", missing.Select(t => t.Name))}.");
        WriteComparison(planDir, rows, missing, stdout, stderr);
        if (missing.Count > 0)
        {
            stderr.WriteLine($"missing {missing.Count} of {tasks.Count} runs (not finished): {string.Join(", ", missing.Select(t => t.Name))}");
            foreach (var t in missing) stderr.WriteLine($"  run it with: bash {Path.Combine(planDir, AblationPlan.TaskRunner)} {t.Index}");
        }
        return 0;
    }

    static void WriteComparison(string outDir, IReadOnlyList<AblationRow> rows, IReadOnlyList<AblationTask> missing, TextWriter stdout, TextWriter stderr)
    {
        var table = AblationComparison.Table(rows);
        var missingNote = missing.Count == 0 ? "" : $"\nMissing (not finished): {string.Join(", ", missing.Select(t => t.Name))}.\n";
        AtomicFile.WriteText(Path.Combine(outDir, "ablation.md"), "# Ablation\n\n" + table + missingNote + "\n![mean AUROC](ablation.png)\n");
        AtomicFile.WriteText(Path.Combine(outDir, "ablation.csv"), AblationComparison.Csv(rows));
        Charts.TryBars(Path.Combine(outDir, "ablation.png"), "Ablation: mean AUROC", rows.Select(r => r.Name).ToArray(),
            ("image AUROC", rows.Select(r => r.Mean[0] ?? double.NaN).ToArray()),
            ("pixel AUROC", rows.Select(r => r.Mean[3] ?? double.NaN).ToArray()), stderr);
        stdout.Write(table);
        stdout.WriteLine($"comparison in {Path.Combine(outDir, "ablation.md")}");
    }
}
