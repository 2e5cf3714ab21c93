using System.CommandLine;
using System.Globalization;
using System.Text;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Routing;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;

namespace AnomalyMoE.Cli.Commands;

/// <summary><c>amoe ablate --data ROOT --preset NAME --grid "eir=on,off;esb=on,off;levels=pcg,p,c,g,pc,pg;topk=1,2,3" --out DIR</c>.</summary>
public static class AblateCommand
{
    /// <summary>Parses a grid string into its cartesian product; errors name the bad part.</summary>
    public static IReadOnlyList<AblationPoint> ParseGrid(string grid)
    {
        IReadOnlyList<bool?> eir = [null], esb = [null];
        IReadOnlyList<string?> levels = [null];
        IReadOnlyList<int?> topk = [null];
        IReadOnlyList<RoutingScope?> routing = [null];
        IReadOnlyList<GradientClipScope?> clip = [null];
        IReadOnlyList<UnselectedExpertUpdate?> unselected = [null];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in grid.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) throw new AnomalyMoEException($"Grid part '{part}' must look like key=value1,value2 (keys: eir, esb, levels, topk, routing, clip, unselected).");
            var key = part[..eq].Trim().ToLowerInvariant();
            var values = CommandSupport.Split(part[(eq + 1)..]);
            if (values.Count == 0) throw new AnomalyMoEException($"Grid key '{key}' has no values.");
            if (!seen.Add(key)) throw new AnomalyMoEException($"Grid key '{key}' appears twice.");
            switch (key)
            {
                case "eir": eir = values.Select(v => (bool?)OnOff(key, v)).ToList(); break;
                case "esb": esb = values.Select(v => (bool?)OnOff(key, v)).ToList(); break;
                case "levels":
                    foreach (var v in values) TrainingRunConfig.ParseLevels(v);
                    levels = values.Select(v => (string?)v.ToLowerInvariant()).ToList();
                    break;
                case "topk":
                    topk = values.Select(v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var k) && k >= 1
                        ? (int?)k : throw new AnomalyMoEException($"Grid value topk={v} is not a positive integer.")).ToList();
                    break;
                case "routing": routing = values.Select(v => (RoutingScope?)CommandSupport.ParseRouting(v)).ToList(); break;
                case "clip": clip = values.Select(v => (GradientClipScope?)GradientClipping.Parse(v)).ToList(); break;
                case "unselected": unselected = values.Select(v => (UnselectedExpertUpdate?)UnselectedExperts.Parse(v)).ToList(); break;
                default: throw new AnomalyMoEException($"Unknown grid key '{key}'; use eir, esb, levels, topk, routing, clip or unselected.");
            }
        }
        if (seen.Count == 0) throw new AnomalyMoEException($"Grid '{grid}' is empty; e.g. \"levels=pcg,p,c,g;topk=1,2\".");
        return (from u in unselected from c in clip from r in routing from l in levels from k in topk from e in eir from s in esb
                select new AblationPoint(e, s, l, k, r, c, u)).ToList();
    }

    static bool OnOff(string key, string value) => value.ToLowerInvariant() switch
    {
        "on" or "true" or "1" => true,
        "off" or "false" or "0" => false,
        _ => throw new AnomalyMoEException($"Grid value {key}={value} must be on or off."),
    };

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "dataset root(s), comma-separated", Required = true };
        var categories = new Option<string?>("--categories") { Description = "comma-separated categories (default: all)" };
        var preset = new Option<string>("--preset") { Description = $"one of {string.Join(", ", TrainingPresets.All.Keys)}", DefaultValueFactory = _ => "cpu-tiny" };
        var grid = new Option<string>("--grid") { Description = "e.g. \"eir=on,off;esb=on,off;levels=pcg,p,c,g,pc,pg;topk=1,2,3\" (cartesian product)", Required = true };
        var output = new Option<string>("--out") { Description = "folder for one run per grid point and the comparison", Required = true };
        var iters = new Option<int?>("--iters") { Description = "iterations per run (default: the preset's)" };
        var baseline = new Option<bool>("--no-baseline") { Description = "leave out the PatchCore baseline row" };
        var device = CommandSupport.DeviceOption();
        var quiet = CommandSupport.QuietOption();
        var command = new Command("ablate", "Train and evaluate every point of an ablation grid (plus PatchCore), then write one comparison table and plot.")
        {
            data, categories, preset, grid, output, iters, baseline, device, quiet,
        };
        command.SetAction(parse =>
        {
            var points = ParseGrid(parse.GetRequiredValue(grid));
            var roots = CommandSupport.ParseData(parse.GetRequiredValue(data), parse.GetValue(categories));
            var presetName = TrainingPresets.Get(parse.GetRequiredValue(preset)).Name;
            var outDir = Path.GetFullPath(parse.GetRequiredValue(output));
            var deviceChoice = TorchRuntime.ParseDevice(parse.GetRequiredValue(device));
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            bool quietValue = parse.GetValue(quiet);
            var rows = new List<(string Name, EvaluationReport Report)>();
            foreach (var point in points)
            {
                var config = point.Apply(new TrainingRunConfig { Preset = presetName, Data = roots, Iterations = parse.GetValue(iters) });
                config.ResolvePreset();
                var run = new RunDirectory(Path.Combine(outDir, point.Name));
                stderr.WriteLine($"ablation {rows.Count + 1}/{points.Count}: {point.Name}");
                TrainCommand.Execute(run, config, new TrainingSettings(deviceChoice, Resume: true), quietValue, stdout, stderr);
                rows.Add((point.Name, TestCommand.Execute(run, roots, run.ReportsDirectory, deviceChoice, 0, quietValue, stderr)));
            }
            if (!parse.GetValue(baseline))
            {
                var run = new RunDirectory(Path.Combine(outDir, "patchcore"));
                var config = new TrainingRunConfig { Preset = presetName, Data = roots, Method = DetectionMethod.PatchCore };
                TrainCommand.Execute(run, config, new TrainingSettings(deviceChoice), quietValue, stdout, stderr);
                rows.Add(("patchcore", TestCommand.Execute(run, roots, run.ReportsDirectory, deviceChoice, 0, quietValue, stderr)));
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
