using System.CommandLine;
using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;

namespace AnomalyMoE.Cli.Commands;

/// <summary><c>amoe test --run RUN --data ROOT [--categories a,b] --report DIR</c>.</summary>
public static class TestCommand
{
    public static Command Create()
    {
        var runOption = new Option<string>("--run") { Description = "run folder written by amoe train", Required = true };
        var data = new Option<string?>("--data") { Description = "dataset root(s), comma-separated (default: the roots the run was trained on)" };
        var categories = new Option<string?>("--categories") { Description = "categories to evaluate (default: those the run was trained on)" };
        var report = new Option<string?>("--report") { Description = "report folder (default: RUN/reports)" };
        var overlays = new Option<int>("--overlays") { Description = "overlay PNGs of the highest- and lowest-scoring images per category (each)", DefaultValueFactory = _ => 2 };
        var device = CommandSupport.DeviceOption();
        var precision = CommandSupport.PrecisionOption();
        var quiet = CommandSupport.QuietOption();
        var command = new Command("test", "Evaluate a trained run: per-category image and pixel metrics, AUPRO, anomaly levels, routing; JSON, CSV, Markdown, overlays.")
        {
            runOption, data, categories, report, overlays, device, precision, quiet,
        };
        command.SetAction(parse =>
        {
            var run = new RunDirectory(Path.GetFullPath(parse.GetRequiredValue(runOption)));
            var config = run.ReadConfig();
            var roots = parse.GetValue(data) is { } d
                ? CommandSupport.ParseData(d, parse.GetValue(categories))
                : parse.GetValue(categories) is { } c ? CommandSupport.ParseData(string.Join(',', config.Data.Select(r => r.Root)), c) : config.Data;
            var reportDir = Path.GetFullPath(parse.GetValue(report) ?? run.ReportsDirectory);
            var result = Execute(run, roots, reportDir, TorchRuntime.ParseDevice(parse.GetRequiredValue(device)), parse.GetValue(overlays),
                parse.GetValue(quiet), parse.InvocationConfiguration.Error, EncoderPrecisions.Parse(parse.GetRequiredValue(precision)));
            parse.InvocationConfiguration.Output.Write(EvaluationReportWriter.MetricsTable(result));
            parse.InvocationConfiguration.Output.Write(EvaluationReportWriter.DatasetMetricsTable(result));
            parse.InvocationConfiguration.Output.WriteLine($"reports in {reportDir}");
            return 0;
        });
        return command;
    }

    public static EvaluationReport Execute(RunDirectory run, IReadOnlyList<DataRoot> roots, string reportDir, DeviceChoice device, int overlays, bool quiet, TextWriter log,
        EncoderPrecision precision = EncoderPrecision.Float32)
    {
        var sources = roots.Select(r => new DatasetSource(r.Root, Categories: r.Categories.Count == 0 ? null : r.Categories).Validate()).ToList();
        var catalog = MvtecDatasetReader.Read(sources);
        using var cancel = CommandSupport.CancelOnCtrlC();
        return CommandSupport.WithProgress(quiet, log, progress =>
        {
            using var detector = Detectors.Open(run, catalog.Categories, device, progress, precision);
            return DetectorEvaluation.Evaluate(detector, catalog.Categories, reportDir, overlays, progress, cancel.Token);
        });
    }
}
