using System.CommandLine;
using System.Text.Json;
using AnomalyMoE.Evaluation;

namespace AnomalyMoE.Cli.Commands;

/// <summary><c>amoe metrics --scores FILE.csv</c>: AUROC, AP and F1-max of a <c>label,score</c> file, as one JSON object.</summary>
public static class MetricsCommand
{
    public static Command Create()
    {
        var scores = new Option<FileInfo>("--scores")
        {
            Description = "CSV file with header 'label,score' (label 0 normal, 1 anomalous; higher score = more anomalous).",
            Required = true,
        };
        var command = new Command("metrics", "AUROC, AP (scikit-learn definitions) and F1-max of a score file, printed as JSON.") { scores };
        command.SetAction(parse =>
        {
            var file = parse.GetRequiredValue(scores);
            var metrics = ScoreCsv.Evaluate(file.FullName);
            var json = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["auroc"] = metrics.Auroc,
                ["ap"] = metrics.AveragePrecision,
                ["f1_max"] = metrics.F1Max,
                ["f1_threshold"] = metrics.F1Threshold,
                ["positives"] = metrics.Positives,
                ["negatives"] = metrics.Negatives,
            });
            parse.InvocationConfiguration.Output.WriteLine(json);
            return 0;
        });
        return command;
    }
}
