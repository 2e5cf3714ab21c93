using System.CommandLine;
using AnomalyMoE.Data.Download;
using AnomalyMoE.Data.Preparation;
using AnomalyMoE.Encoders;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Cli.Commands;

/// <summary><c>amoe data</c>: prepare the paper's benchmarks in the MVTec layout, and fetch pretrained weights.</summary>
public static class DataCommand
{
    public static Command Create()
    {
        var data = new Command("data", "Prepare benchmark datasets and fetch pretrained weights (the only commands that download).");
        data.Subcommands.Add(CreatePrepare());
        data.Subcommands.Add(CreateWeights());
        data.Subcommands.Add(CreateList());
        return data;
    }

    static Command CreatePrepare()
    {
        var dataset = new Argument<string>("dataset") { Description = $"One of: {string.Join(", ", DatasetCatalog.All.Select(d => d.Name))}." };
        var root = new Option<string>("--root") { Description = "Folder that receives the prepared datasets (e.g. data/).", Required = true };
        var fromArchive = new Option<string?>("--from-archive") { Description = "Use this hand-fetched archive (or unpacked folder) instead of downloading." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Accept the dataset's licence without asking." };
        var keep = new Option<bool>("--keep-extracted") { Description = "Keep the unpacked archive under ROOT/.extract (files are copied out of it) for later runs." };
        var command = new Command("prepare", "Download (resumable, checksummed) or take an archive, extract, and convert a dataset into the MVTec layout.")
        {
            dataset, root, fromArchive, yes, keep,
        };
        command.SetAction(async (parse, cancel) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var request = new PrepareRequest(parse.GetValue(dataset)!, parse.GetValue(root)!, parse.GetValue(fromArchive),
                parse.GetValue(yes), parse.GetValue(keep));
            var preparer = new DatasetPreparer(new ResumableDownloader(), output, AskLicence);
            var result = await preparer.PrepareAsync(request, new ConsoleProgress(parse.InvocationConfiguration.Error), cancel);
            output.WriteLine(result.Summary.ToTable());
            return 0;
        });
        return command;
    }

    static Command CreateWeights()
    {
        var name = new Argument<string>("name") { Description = $"One of: {string.Join(", ", WeightsStore.Catalog.Select(w => w.Name))}." };
        var dir = new Option<string?>("--dir") { Description = $"Weights cache folder (default: ${WeightsStore.EnvironmentVariable} or ~/.cache/anomalymoe/weights)." };
        var command = new Command("weights", "Download a pretrained checkpoint into the weights cache (resumable), recording its size and SHA-256.") { name, dir };
        command.SetAction(async (parse, cancel) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var store = new WeightsStore(parse.GetValue(dir));
            var path = await store.FetchAsync(parse.GetValue(name)!, new ResumableDownloader(), output,
                new ConsoleProgress(parse.InvocationConfiguration.Error), cancel);
            output.WriteLine(path);
            return 0;
        });
        return command;
    }

    static Command CreateList()
    {
        var command = new Command("list", "List the datasets and weights these commands prepare, with their licences.");
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            foreach (var d in DatasetCatalog.All)
                output.WriteLine($"{d.Name,-12} {d.Title}\n{"",-12} licence: {d.Licence}; {(d.Archive.Urls.Count > 0 ? "downloadable" : "needs --from-archive")}");
            foreach (var w in WeightsStore.Catalog)
                output.WriteLine($"{w.Name,-20} {w.Architecture}, {w.RegisterTokens} registers; {w.Licence}");
            return 0;
        });
        return command;
    }

    static bool AskLicence(DatasetEntry entry)
    {
        if (Console.IsInputRedirected) return false;
        Console.Error.Write($"Accept the licence of {entry.Name} and download? [y/N] ");
        var answer = Console.ReadLine()?.Trim().ToLowerInvariant();
        return answer is "y" or "yes";
    }

    /// <summary>One line per task change or 5 % step on the error stream, so logs stay readable.</summary>
    sealed class ConsoleProgress(TextWriter error) : IProgress<ProgressUpdate>
    {
        string? task;
        int lastPercent = -1;

        public void Report(ProgressUpdate value)
        {
            int percent = (int)(value.Fraction * 100);
            if (value.Task == task && percent / 5 == lastPercent / 5) return;
            task = value.Task;
            lastPercent = percent;
            error.WriteLine(value.Total > 0 ? $"  {value.Task}: {percent}% ({value.Done}/{value.Total})" : $"  {value.Task}: {value.Done}");
        }
    }
}
