using System.CommandLine;
using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Engine;
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
            var (deviceChoice, precisionChoice) = (CommandSupport.Device(parse, device), CommandSupport.Precision(parse, precision));
            var run = new RunDirectory(Path.GetFullPath(parse.GetRequiredValue(runOption)));
            var config = run.ReadConfig();
            var roots = ResolveRoots(config, parse.GetValue(data), parse.GetValue(categories));
            var reportDir = Path.GetFullPath(parse.GetValue(report) ?? run.ReportsDirectory);
            var result = Execute(run, roots, reportDir, deviceChoice, parse.GetValue(overlays),
                parse.GetValue(quiet), parse.InvocationConfiguration.Error, precisionChoice);
            parse.InvocationConfiguration.Output.Write(EvaluationReportWriter.MetricsTable(result));
            parse.InvocationConfiguration.Output.Write(EvaluationReportWriter.DatasetMetricsTable(result));
            parse.InvocationConfiguration.Output.WriteLine($"reports in {reportDir}");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The roots and categories to evaluate: <paramref name="data"/> (default: the run's roots) with <paramref name="categories"/>
    /// (default: the run's categories, so a run trained on one category is not scored on every category a new root holds).
    /// </summary>
    public static IReadOnlyList<DataRoot> ResolveRoots(TrainingRunConfig config, string? data, string? categories)
    {
        if (data is null && categories is null) return config.Data;
        var roots = data ?? string.Join(',', config.Data.Select(r => r.Root));
        return CommandSupport.ParseData(roots, categories ?? string.Join(',', RunCategories(config)));
    }

    /// <summary>The categories a run trained on: those its config names, or every category its roots held when it names none.</summary>
    public static IReadOnlyList<string> RunCategories(TrainingRunConfig config) =>
        config.Data.SelectMany(r => r.Categories.Count > 0 ? r.Categories : MvtecDatasetReader.DiscoverCategories(r.Root)).Distinct(StringComparer.Ordinal).ToList();

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
