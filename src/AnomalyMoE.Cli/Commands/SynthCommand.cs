using System.CommandLine;
using System.Globalization;
using AnomalyMoE.Runtime;
using AnomalyMoE.Synthetic;
using Spectre.Console;

namespace AnomalyMoE.Cli.Commands;

/// <summary><c>amoe synth</c>: writes the synthetic hierarchical anomaly benchmark, or a gallery of it.</summary>
public static class SynthCommand
{
    public static Command Create()
    {
        var defaults = SynthOptions.Default;
        var family = new Option<string>("--family") { Description = "industrial, logical, 3d, medical, video, a comma-separated list, or all", DefaultValueFactory = _ => "all" };
        var output = new Option<string?>("--out") { Description = "output folder (MVTec layout per family, plus metadata.csv)" };
        var seed = new Option<int>("--seed") { Description = "random seed; the same seed gives identical files", DefaultValueFactory = _ => defaults.Seed };
        var size = new Option<int>("--size") { Description = "image side in pixels", DefaultValueFactory = _ => defaults.Size };
        var train = new Option<int>("--train") { Description = "training images per category (all normal)", DefaultValueFactory = _ => defaults.TrainPerCategory };
        var test = new Option<int>("--test") { Description = "test images per category (40 % normal, the rest split over the anomaly types)", DefaultValueFactory = _ => defaults.TestPerCategory };
        var gallery = new Option<string?>("--gallery") { Description = "write a contact sheet PNG (normal samples and every anomaly type, masks outlined) instead of a dataset" };
        var command = new Command("synth", "Generate the synthetic hierarchical anomaly benchmark: five domain families, three anomaly levels, full ground truth.")
        {
            family, output, seed, size, train, test, gallery,
        };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var families = SyntheticFamilies.Parse(parse.GetValue(family) ?? "all");
            if (parse.GetValue(gallery) is { } galleryPath)
            {
                var tile = parse.GetResult(size) is { Implicit: false } ? parse.GetValue(size) : 160;
                Gallery.Write(galleryPath, families, parse.GetValue(seed), tile);
                stdout.WriteLine($"wrote gallery {Path.GetFullPath(galleryPath)}");
                return 0;
            }
            var outDir = parse.GetValue(output) ?? throw new AnomalyMoEException("--out DIR is required (or --gallery FILE.png for a contact sheet).");
            var options = new SynthOptions(families, parse.GetValue(seed), parse.GetValue(size), parse.GetValue(train), parse.GetValue(test));
            options.Validate();
            var summary = InteractiveTerminal(stderr)
                ? WithProgressBar(progress => SyntheticBenchmark.Generate(options, outDir, progress))
                : SyntheticBenchmark.Generate(options, outDir, new LineProgress(stderr));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {summary.Images} images ({string.Join(", ", families)}) to {summary.OutputDirectory} in {summary.Elapsed.TotalSeconds:F1} s ({summary.ImagesPerSecond:F0} images/s)"));
            return 0;
        });
        return command;
    }

    /// <summary>A live bar only when the error stream is the real, unredirected console; logs and tests get plain lines.</summary>
    static bool InteractiveTerminal(TextWriter stderr) =>
        ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected && ErrorConsole.Value.Profile.Capabilities.Interactive;

    /// <summary>Spectre on stderr, so stdout carries only the result line.</summary>
    static readonly Lazy<IAnsiConsole> ErrorConsole = new(() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }));

    static T WithProgressBar<T>(Func<IProgress<ProgressUpdate>, T> work) =>
        ErrorConsole.Value.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("synth");
                return work(new BarProgress(task));
            });

    /// <summary>Moves a Spectre task (thread-safe) to the reported count.</summary>
    sealed class BarProgress(ProgressTask task) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value)
        {
            task.MaxValue = Math.Max(1, value.Total);
            task.Value = value.Done;
        }
    }

    /// <summary>Prints one line per tenth of the work to stderr (safe to call from worker threads).</summary>
    sealed class LineProgress(TextWriter writer) : IProgress<ProgressUpdate>
    {
        int lastTenth = -1;

        public void Report(ProgressUpdate value)
        {
            var tenth = (int)(value.Fraction * 10);
            lock (writer)
            {
                if (tenth <= lastTenth) return;
                lastTenth = tenth;
                writer.WriteLine($"{value.Task}: {value.Done}/{value.Total} ({value.Fraction:P0})");
            }
        }
    }
}
