using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Model;
using AnomalyMoE.Routing;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;
using Spectre.Console;

namespace AnomalyMoE.Cli.Commands;

/// <summary>Options and helpers shared by the training and evaluation verbs.</summary>
static class CommandSupport
{
    /// <summary>
    /// <c>--device</c> as the switch table's entry spells and describes it; read it with <see cref="Device"/>, so every verb
    /// accepts the same names and rejects a bad one with the same error as <c>amoe train</c>.
    /// </summary>
    public static Option<string> DeviceOption(DeviceChoice defaultValue = DeviceChoice.Auto) => SwitchOption(RunSwitches.Device, defaultValue);

    /// <summary>The device <paramref name="option"/> gives, read by <see cref="RunSwitches.Device"/>.</summary>
    public static DeviceChoice Device(ParseResult parse, Option<string> option) => RunSwitches.Device.Parse(parse.GetRequiredValue(option));

    public static Option<bool> QuietOption() => new("--quiet") { Description = "plain log lines instead of progress bars" };

    /// <summary><c>--precision fp32|bf16</c>: the frozen encoder's number format (see <see cref="EncoderPrecision"/>); read it with <see cref="Precision"/>.</summary>
    public static Option<string> PrecisionOption() => SwitchOption(RunSwitches.Precision, EncoderPrecision.Float32);

    /// <summary>The precision <paramref name="option"/> gives, read by <see cref="RunSwitches.Precision"/>.</summary>
    public static EncoderPrecision Precision(ParseResult parse, Option<string> option) => RunSwitches.Precision.Parse(parse.GetRequiredValue(option));

    static Option<string> SwitchOption<T>(RunSwitch<T> entry, T defaultValue) =>
        new(entry.Flag!) { Description = entry.Description, DefaultValueFactory = _ => entry.Format(defaultValue) };

    /// <summary>Parses <c>ROOT[,ROOT…]</c> and <c>a,b</c>: each root must exist; each named category must exist in at least one root.</summary>
    public static IReadOnlyList<DataRoot> ParseData(string data, string? categories)
    {
        var roots = Split(data);
        if (roots.Count == 0) throw new AnomalyMoEException("--data needs at least one dataset root folder.");
        foreach (var root in roots)
        {
            if (!Directory.Exists(root)) throw new AnomalyMoEException($"Data root '{root}' does not exist.");
        }
        var wanted = Split(categories);
        var result = new List<DataRoot>();
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            var available = MvtecDatasetReader.DiscoverCategories(root);
            if (wanted.Count == 0)
            {
                if (available.Count == 0) throw new AnomalyMoEException($"Data root '{root}' holds no category folders (expected <category>/train/good/…).");
                result.Add(new DataRoot(Path.GetFullPath(root), []));
                continue;
            }
            var here = wanted.Where(c => available.Contains(c)).ToList();
            found.UnionWith(here);
            if (here.Count > 0) result.Add(new DataRoot(Path.GetFullPath(root), here));
        }
        var missing = wanted.Where(c => !found.Contains(c)).ToList();
        if (missing.Count > 0)
            throw new AnomalyMoEException($"Categor{(missing.Count == 1 ? "y" : "ies")} {string.Join(", ", missing)} not found under {string.Join(", ", roots)}.");
        return result;
    }

    public static List<string> Split(string? text) =>
        (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>Ctrl-C cancels the token instead of killing the process, so long work can save and exit cleanly.</summary>
    public static CancellationTokenSource CancelOnCtrlC()
    {
        var source = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (source.IsCancellationRequested) return;
            e.Cancel = true;
            source.Cancel();
        };
        return source;
    }

    /// <summary>
    /// Runs long work with progress: Spectre.Console bars (ETA, live loss components) on an interactive terminal, plain
    /// lines on <paramref name="log"/> otherwise or with <paramref name="quiet"/>.
    /// </summary>
    public static T WithProgress<T>(bool quiet, TextWriter log, Func<IProgress<ProgressUpdate>, T> work)
    {
        bool interactive = !quiet && !Console.IsErrorRedirected && !Console.IsOutputRedirected && ReferenceEquals(log, Console.Error)
            && AnsiConsole.Profile.Capabilities.Interactive;
        if (!interactive) return work(new LineProgress(log));
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => result = work(new SpectreProgress(context)));
        return result;
    }

    static string Describe(ProgressUpdate update)
    {
        if (update.Values is not { Count: > 0 } values) return update.Task;
        var shown = values.Where(kv => kv.Key != "lr").Take(6).Select(kv => $"{kv.Key} {kv.Value.ToString("0.0000", CultureInfo.InvariantCulture)}");
        return $"{update.Task}: {string.Join(", ", shown)}";
    }

    sealed class SpectreProgress(ProgressContext context) : IProgress<ProgressUpdate>
    {
        readonly Dictionary<string, ProgressTask> tasks = new(StringComparer.Ordinal);

        public void Report(ProgressUpdate value)
        {
            lock (tasks)
            {
                if (!tasks.TryGetValue(value.Task, out var task)) tasks[value.Task] = task = context.AddTask(Markup.Escape(value.Task));
                task.MaxValue = Math.Max(1, value.Total);
                task.Value = value.Done;
                task.Description = Markup.Escape(Describe(value));
            }
        }
    }

    /// <summary>A line at most every few seconds per task, and at the end.</summary>
    sealed class LineProgress(TextWriter writer) : IProgress<ProgressUpdate>
    {
        readonly Dictionary<string, (Stopwatch Clock, double Last)> seen = new(StringComparer.Ordinal);

        public void Report(ProgressUpdate value)
        {
            lock (seen)
            {
                if (!seen.TryGetValue(value.Task, out var s)) seen[value.Task] = s = (Stopwatch.StartNew(), -10);
                var now = s.Clock.Elapsed.TotalSeconds;
                if (now - s.Last < 5 && value.Done < value.Total) return;
                seen[value.Task] = (s.Clock, now);
                var eta = value.Done > 0 && value.Total > value.Done ? $", ETA {TimeSpan.FromSeconds(now / value.Done * (value.Total - value.Done)):hh\\:mm\\:ss}" : "";
                writer.WriteLine($"[{DateTime.Now:HH:mm:ss}] {Describe(value)} {value.Done}/{value.Total}{eta}");
            }
        }
    }
}
