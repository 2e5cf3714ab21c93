using System.CommandLine;
using System.Globalization;
using System.Text;
using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Engine;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;

namespace AnomalyMoE.Cli.Commands;

/// <summary><c>amoe predict --run RUN --images PATH… --out DIR [--category DATASET/CATEGORY]</c>.</summary>
public static class PredictCommand
{
    static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"];

    public static Command Create()
    {
        var runOption = new Option<string>("--run") { Description = "run folder written by amoe train", Required = true };
        var images = new Option<string[]>("--images") { Description = "image files or folders of images", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "folder for overlays and scores.csv", Required = true };
        var category = new Option<string?>("--category") { Description = "dataset/category whose component segmenter applies (default: the run's only category)" };
        var device = CommandSupport.DeviceOption();
        var precision = CommandSupport.PrecisionOption();
        var quiet = CommandSupport.QuietOption();
        var command = new Command("predict", "Anomaly maps, overlays, scores and (calibrated runs) anomalous/normal decisions for arbitrary images.")
        {
            runOption, images, output, category, device, precision, quiet,
        };
        command.SetAction(parse =>
        {
            var (deviceChoice, precisionChoice) = (CommandSupport.Device(parse, device), CommandSupport.Precision(parse, precision));
            var run = new RunDirectory(Path.GetFullPath(parse.GetRequiredValue(runOption)));
            var config = run.ReadConfig();
            var catalog = MvtecDatasetReader.Read(config.Sources());
            var key = parse.GetValue(category);
            if (key is null)
            {
                if (catalog.Categories.Count != 1)
                    throw new AnomalyMoEException($"The run covers {catalog.Categories.Count} categories; name one with --category ({string.Join(", ", catalog.Categories.Select(c => c.Key))}).");
                key = catalog.Categories[0].Key;
            }
            var info = catalog.Categories.FirstOrDefault(c => c.Key == key)
                ?? throw new AnomalyMoEException($"Category '{key}' is not part of the run; choose one of {string.Join(", ", catalog.Categories.Select(c => c.Key))}.");
            var files = Expand(parse.GetRequiredValue(images));
            var records = files.Select(f => new ImageRecord(f, info.Dataset, info.Category, DatasetSplit.Test, "unknown", null)).ToList();
            var outDir = Path.GetFullPath(parse.GetRequiredValue(output));
            Directory.CreateDirectory(outDir);
            var scores = CommandSupport.WithProgress(parse.GetValue(quiet), parse.InvocationConfiguration.Error, progress =>
            {
                using var detector = Detectors.Open(run, [info], deviceChoice, progress, precisionChoice);
                using var predictions = detector.Predict(records, progress);
                float min = predictions.Maps.min().item<float>(), max = predictions.Maps.max().item<float>();
                for (int i = 0; i < records.Count; i++)
                    OverlayWriter.Write(Path.Combine(outDir, $"{i:D4}_{Path.GetFileNameWithoutExtension(records[i].Path)}.png"), records[i], predictions.Maps[i, 0], detector.Settings.Transform, min, max);
                return (predictions.Scores, predictions.Threshold);
            });
            var (values, threshold) = scores;
            // Calibrated runs store a threshold, so each image also gets a decision; set min-max runs (the reference) have none.
            var csv = new StringBuilder(threshold is null ? "path,score\n" : "path,score,anomalous\n");
            for (int i = 0; i < records.Count; i++)
            {
                csv.Append(records[i].Path).Append(',').Append(values[i].ToString("R", CultureInfo.InvariantCulture));
                if (threshold is { } t) csv.Append(',').Append(values[i] > t ? "true" : "false");
                csv.Append('\n');
            }
            AtomicFile.WriteText(Path.Combine(outDir, "scores.csv"), csv.ToString());
            var decided = threshold is { } th
                ? string.Create(CultureInfo.InvariantCulture, $"; {values.Count(v => v > th)} above the calibrated threshold {th:0.###}")
                : " (scores normalised over the given set: no threshold)";
            parse.InvocationConfiguration.Output.WriteLine($"scored {records.Count} images{decided}; overlays and scores.csv in {outDir}");
            return 0;
        });
        return command;
    }

    static List<string> Expand(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var p in paths)
        {
            if (File.Exists(p)) files.Add(Path.GetFullPath(p));
            else if (Directory.Exists(p))
                files.AddRange(Directory.EnumerateFiles(p).Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal).Select(Path.GetFullPath));
            else throw new AnomalyMoEException($"Image path '{p}' does not exist.");
        }
        if (files.Count == 0) throw new AnomalyMoEException("No images found in the given --images paths.");
        return files;
    }
}
