using System.CommandLine;
using System.Globalization;
using System.Text;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;

namespace AnomalyMoE.Cli.Commands;

/// <summary><c>amoe ablate --data ROOT --preset NAME --grid "eir=on,off;esb=on,off;levels=pcg,p,c,g,pc,pg;topk=1,2,3" --out DIR</c>.</summary>
public static class AblateCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "dataset root(s), comma-separated", Required = true };
        var categories = new Option<string?>("--categories") { Description = "comma-separated categories (default: all)" };
        var grid = new Option<string>("--grid")
        {
            Description = $"e.g. \"eir=on,off;esb=on,off;levels=pcg,p,c,g,pc,pg;topk=1,2,3\" (cartesian product); keys: {string.Join(", ", RunSwitches.ByGridKey.Keys)}",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "folder for one run per grid point and the comparison", Required = true };
        var baseline = new Option<bool>("--no-baseline") { Description = "leave out the PatchCore baseline row" };
        var quiet = CommandSupport.QuietOption();
        var command = new Command("ablate", "Train and evaluate every point of an ablation grid (plus PatchCore), then write one comparison table and plot.")
        {
            data, categories, grid, output, baseline, quiet,
        };
        // Every run switch sets the base of all grid points; the method is the grid's (plus the baseline row), and each run trains to its end.
        var switches = SwitchOptions.AddTo(command, RunSwitches.Method, RunSwitches.StopAfter);
        command.SetAction(parse =>
        {
            var points = AblationGrid.Parse(parse.GetRequiredValue(grid));
            var baseRun = switches.Read(parse, TrainCommand.Defaults([]));
            var roots = CommandSupport.ParseData(parse.GetRequiredValue(data), parse.GetValue(categories));
            baseRun = baseRun with { Config = baseRun.Config with { Data = roots }, Settings = baseRun.Settings with { Resume = true } };
            foreach (var point in points) point.Apply(baseRun.Config).ResolvePreset();
            var outDir = Path.GetFullPath(parse.GetRequiredValue(output));
            var deviceChoice = baseRun.Settings.Device;
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            bool quietValue = parse.GetValue(quiet);
            var rows = new List<(string Name, EvaluationReport Report)>();
            foreach (var point in points)
            {
                var config = point.Apply(baseRun.Config);
                var run = new RunDirectory(Path.Combine(outDir, point.Name));
                stderr.WriteLine($"ablation {rows.Count + 1}/{points.Count}: {point.Name}");
                TrainCommand.Execute(run, config, baseRun.Settings, quietValue, stdout, stderr);
                rows.Add((point.Name, TestCommand.Execute(run, roots, run.ReportsDirectory, deviceChoice, 0, quietValue, stderr, baseRun.Settings.Precision)));
            }
            if (!parse.GetValue(baseline))
            {
                var run = new RunDirectory(Path.Combine(outDir, "patchcore"));
                var config = baseRun.Config with { Method = DetectionMethod.PatchCore };
                TrainCommand.Execute(run, config, baseRun.Settings with { Resume = false }, quietValue, stdout, stderr);
                rows.Add(("patchcore", TestCommand.Execute(run, roots, run.ReportsDirectory, deviceChoice, 0, quietValue, stderr, baseRun.Settings.Precision)));
            }
            var table = ComparisonTable(rows);
            AtomicFile.WriteText(Path.Combine(outDir, "ablation.md"), "# Ablation\n\n" + table + "\n![mean AUROC](ablation.png)\n");
            AtomicFile.WriteText(Path.Combine(outDir, "ablation.csv"), ComparisonCsv(rows));
            Charts.TryBars(Path.Combine(outDir, "ablation.png"), "Ablation: mean AUROC", rows.Select(r => r.Name).ToArray(),
                ("image AUROC", rows.Select(r => r.Report.Mean.ImageAuroc).ToArray()),
                ("pixel AUROC", rows.Select(r => r.Report.Mean.PixelAuroc ?? double.NaN).ToArray()), stderr);
            stdout.Write(table);
            stdout.WriteLine($"comparison in {Path.Combine(outDir, "ablation.md")}");
            return 0;
        });
        return command;
    }

    static string F(double? v) => v is { } x && !double.IsNaN(x) ? x.ToString("0.000", CultureInfo.InvariantCulture) : "–";

    public static string ComparisonTable(IReadOnlyList<(string Name, EvaluationReport Report)> rows)
    {
        var sb = new StringBuilder("| setting | image AUROC | image AP | image F1-max | pixel AUROC | pixel AP | pixel F1-max | AUPRO | ");
        sb.AppendJoin(" | ", DetectorEvaluation.Levels.Select(l => $"{l} AUROC")).Append(" |\n|---|---|---|---|---|---|---|---|")
          .Append(string.Concat(DetectorEvaluation.Levels.Select(_ => "---|"))).Append('\n');
        foreach (var (name, report) in rows)
            sb.Append("| ").Append(name).Append(" | ").AppendJoin(" | ", EvaluationReportWriter.Values(report.Mean).Select(F))
              .Append(" | ").AppendJoin(" | ", DetectorEvaluation.Levels.Select(l => F(report.LevelMeans[l]))).Append(" |\n");
        return sb.ToString();
    }

    static string ComparisonCsv(IReadOnlyList<(string Name, EvaluationReport Report)> rows)
    {
        var sb = new StringBuilder("setting," + string.Join(',', EvaluationReportWriter.MetricKeys) + "," + string.Join(',', DetectorEvaluation.Levels.Select(l => $"{l}_image_auroc")) + "\n");
        foreach (var (name, report) in rows)
            sb.Append(name).Append(',').AppendJoin(',', EvaluationReportWriter.Values(report.Mean).Select(v => v?.ToString("R", CultureInfo.InvariantCulture) ?? ""))
              .Append(',').AppendJoin(',', DetectorEvaluation.Levels.Select(l => report.LevelMeans[l]?.ToString("R", CultureInfo.InvariantCulture) ?? "")).Append('\n');
        return sb.ToString();
    }
}
