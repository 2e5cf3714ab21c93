using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using AnomalyMoE.Encoders;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;
using AnomalyMoE.Synthetic;
using AnomalyMoE.Training;

namespace AnomalyMoE.Cli.Commands;

/// <summary>
/// <c>amoe quickstart [--out DIR]</c>: synthesises a small version of all five families, trains <c>cpu-tiny</c> on all of them
/// at once, evaluates it beside the PatchCore baseline, writes a Markdown report with figures and prints the table.
/// </summary>
public static class QuickstartCommand
{
    public const int DefaultSize = 160;
    public const int DefaultTrain = 16;
    // 20 test images per category moved the means by about ±0.05 between runs; with 60, two seeds' fused image AUROC differ by
    // 0.019, but the logical level, two categories of ~28 logical anomalies, moved by 0.02 between 60 and 200 test images of
    // the same model (docs/engine.md, Scoring), so 120.
    public const int DefaultTest = 120;

    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "output folder (data/, run/, patchcore/, quickstart.md)", DefaultValueFactory = _ => "amoe-quickstart" };
        var iters = new Option<int?>("--iters") { Description = "training iterations (default: cpu-tiny's)" };
        var size = new Option<int>("--size") { Description = "synthetic image side in pixels", DefaultValueFactory = _ => DefaultSize };
        var train = new Option<int>("--train") { Description = "synthetic training images per category", DefaultValueFactory = _ => DefaultTrain };
        var test = new Option<int>("--test") { Description = "synthetic test images per category", DefaultValueFactory = _ => DefaultTest };
        var dataSeed = new Option<int>("--data-seed") { Description = "seed of the synthetic data", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "training seed (as train's --seed)", DefaultValueFactory = _ => TrainingRunConfig.DefaultSeed };
        var baseline = new Option<bool>("--no-baseline") { Description = "skip the PatchCore baseline" };
        var device = CommandSupport.DeviceOption();
        var precision = CommandSupport.PrecisionOption();
        var quiet = CommandSupport.QuietOption();
        var command = new Command("quickstart", "Synthesise all five families, train cpu-tiny on them together, evaluate beside PatchCore, write a report with figures.")
        {
            output, iters, size, train, test, dataSeed, seed, baseline, device, precision, quiet,
        };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var outDir = Path.GetFullPath(parse.GetRequiredValue(output));
            var deviceChoice = CommandSupport.Device(parse, device);
            var precisionChoice = CommandSupport.Precision(parse, precision);
            var settings = new TrainingSettings(deviceChoice, Precision: precisionChoice);
            bool quietValue = parse.GetValue(quiet);
            var clock = Stopwatch.StartNew();
            var timings = new List<(string Step, double Seconds)>();
            void Mark(string step)
            {
                timings.Add((step, clock.Elapsed.TotalSeconds - timings.Sum(t => t.Seconds)));
            }

            var synth = new SynthOptions(SyntheticFamilies.Names, Seed: parse.GetValue(dataSeed), Size: parse.GetValue(size), TrainPerCategory: parse.GetValue(train), TestPerCategory: parse.GetValue(test));
            synth.Validate();
            var dataDir = Path.Combine(outDir, "data");
            var summary = CommandSupport.WithProgress(quietValue, stderr, progress => SyntheticBenchmark.Generate(synth, dataDir, progress));
            stderr.WriteLine($"synthesised {summary.Images} images in {summary.Elapsed.TotalSeconds:F1} s");
            Mark("synthesise");

            var roots = CommandSupport.ParseData(string.Join(',', SyntheticFamilies.Names.Select(f => Path.Combine(dataDir, f))), null);
            var config = new TrainingRunConfig { Preset = TrainingPresets.CpuTiny.Name, Data = roots, Iterations = parse.GetValue(iters), Seed = parse.GetValue(seed) };
            var run = new RunDirectory(Path.Combine(outDir, "run"));
            var training = TrainCommand.Execute(run, config, settings, quietValue, stdout, stderr);
            if (training is { Interrupted: true }) return 130;
            Mark("train AnomalyMoE");
            var report = TestCommand.Execute(run, roots, run.ReportsDirectory, deviceChoice, 2, quietValue, stderr, precisionChoice);
            Mark("evaluate AnomalyMoE");

            EvaluationReport? patchcore = null;
            if (!parse.GetValue(baseline))
            {
                var pcRun = new RunDirectory(Path.Combine(outDir, "patchcore"));
                TrainCommand.Execute(pcRun, config with { Method = DetectionMethod.PatchCore }, settings, quietValue, stdout, stderr);
                patchcore = TestCommand.Execute(pcRun, roots, pcRun.ReportsDirectory, deviceChoice, 0, quietValue, stderr, precisionChoice);
                Mark("PatchCore baseline");
            }

            Charts.TryLossCurve(run.LossLogPath, Path.Combine(outDir, "loss.png"), stderr);
            var labels = report.Categories.Select(c => c.Metrics.Category).ToArray();
            Charts.TryBars(Path.Combine(outDir, "image_auroc.png"), "Image AUROC per category", labels,
                ("AnomalyMoE (cpu-tiny)", report.Categories.Select(c => c.Metrics.ImageAuroc).ToArray()),
                patchcore is null ? null : ("PatchCore", labels.Select(l => patchcore.Categories.First(c => c.Metrics.Category == l).Metrics.ImageAuroc).ToArray()), stderr);
            Mark("figures");
            var markdown = Markdown(report, patchcore, training, synth, config.Seed, timings, clock.Elapsed);
            AtomicFile.WriteText(Path.Combine(outDir, "quickstart.md"), markdown);
            stdout.Write(EvaluationReportWriter.MetricsTable(report));
            if (patchcore is not null)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"PatchCore baseline mean: image AUROC {patchcore.Mean.ImageAuroc:0.000}, pixel AUROC {patchcore.Mean.PixelAuroc:0.000}"));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"quickstart finished in {clock.Elapsed.TotalMinutes:F1} min; report {Path.Combine(outDir, "quickstart.md")}"));
            return 0;
        });
        return command;
    }

    static string F(double? v) => v is { } x ? x.ToString("0.000", CultureInfo.InvariantCulture) : "–";

    static string Markdown(EvaluationReport report, EvaluationReport? patchcore, TrainingResult? training, SynthOptions synth, int seed,
        IReadOnlyList<(string Step, double Seconds)> timings, TimeSpan total)
    {
        var sb = new StringBuilder("# AnomalyMoE quickstart\n\n");
        sb.Append(string.Create(CultureInfo.InvariantCulture,
            $"One `cpu-tiny` model trained on all five synthetic families at once ({synth.TrainPerCategory} training and {synth.TestPerCategory} test images per category, {synth.Size} px, data seed {synth.Seed}, training seed {seed}), evaluated per category. Total time {total.TotalMinutes:F1} min.\n\n"));
        sb.Append("## AnomalyMoE (cpu-tiny)\n\n").Append(EvaluationReportWriter.MetricsTable(report)).Append('\n');
        if (patchcore is not null)
        {
            sb.Append("## Beside the PatchCore baseline (same encoder, same map post-processing)\n\n| method | image AUROC | image AP | image F1-max | pixel AUROC | pixel AP | pixel F1-max | AUPRO |\n|---|---|---|---|---|---|---|---|\n");
            sb.Append("| AnomalyMoE | ").AppendJoin(" | ", EvaluationReportWriter.Values(report.Mean).Select(F)).Append(" |\n");
            sb.Append("| PatchCore | ").AppendJoin(" | ", EvaluationReportWriter.Values(patchcore.Mean).Select(F)).Append(" |\n\n");
        }
        sb.Append("## Image AUROC by anomaly level (mean over categories)\n\n| method | ").AppendJoin(" | ", DetectorEvaluation.Levels).Append(" |\n|---|")
          .Append(string.Concat(DetectorEvaluation.Levels.Select(_ => "---|"))).Append('\n');
        sb.Append("| AnomalyMoE | ").AppendJoin(" | ", DetectorEvaluation.Levels.Select(l => F(report.LevelMeans[l]))).Append(" |\n");
        if (patchcore is not null) sb.Append("| PatchCore | ").AppendJoin(" | ", DetectorEvaluation.Levels.Select(l => F(patchcore.LevelMeans[l]))).Append(" |\n");
        if (report.ExpertLevelMeans.Count > 0)
        {
            sb.Append("\n## Image AUROC of each expert level fused alone (mean over categories)\n\n")
              .Append("Each level's map through the same normalisation, weighting, smoothing and top-1 % score on its own, beside the fused model.\n\n")
              .Append("| fused | ").AppendJoin(" | ", report.ExpertLevelMeans.Select(kv => kv.Key)).Append(" |\n|---|")
              .Append(string.Concat(report.ExpertLevelMeans.Select(_ => "---|"))).Append('\n')
              .Append("| ").Append(F(report.Mean.ImageAuroc)).Append(" | ").AppendJoin(" | ", report.ExpertLevelMeans.Select(kv => F(kv.Value))).Append(" |\n");
        }
        if (EvaluationReportWriter.AttributionTable(report) is { Length: > 0 } attribution)
            sb.Append("\n## Expert attribution (mean over categories)\n\n")
              .Append("Image AUROC of each expert level fused alone on the normal test images against one anomaly level's: whether patch experts catch structural defects, component experts wrong parts and global experts logical errors.\n\n")
              .Append(attribution);
        sb.Append("\n## Figures\n\n![training loss](loss.png)\n\n![image AUROC per category](image_auroc.png)\n\n");
        sb.Append("Per-category level breakdown, routing statistics and overlays: [run/reports/report.md](run/reports/report.md).\n\n");
        sb.Append("## Time\n\n| step | seconds |\n|---|---|\n");
        foreach (var (step, seconds) in timings) sb.Append(string.Create(CultureInfo.InvariantCulture, $"| {step} | {seconds:F1} |\n"));
        if (training is not null)
            sb.Append(string.Create(CultureInfo.InvariantCulture,
                $"\nTraining: {training.CompletedIterations} iterations, {training.ImagesPerSecond:F1} images/s, peak RSS {training.PeakWorkingSetBytes / 1048576.0:F0} MiB.\n"));
        return sb.ToString();
    }
}
