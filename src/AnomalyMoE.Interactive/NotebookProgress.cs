using System.Diagnostics;
using System.Globalization;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Interactive;

/// <summary>
/// An <see cref="IProgress{T}"/> for long calls in a notebook: renders each update as one line of text
/// (task, done/total, percent, elapsed, ETA, live values) and hands it to <paramref name="update"/>, which in a
/// notebook replaces a displayed value in place (<see cref="AnomalyMoENotebook.Progress"/>). Updates are throttled.
/// </summary>
public sealed class NotebookProgress(Action<string> update, TimeSpan? minimumInterval = null) : IProgress<ProgressUpdate>
{
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly TimeSpan interval = minimumInterval ?? TimeSpan.FromMilliseconds(250);
    readonly Lock gate = new();
    TimeSpan lastShown = TimeSpan.MinValue;
    string lastTask = "";

    /// <summary>The last line shown.</summary>
    public string Last { get; private set; } = "";

    public void Report(ProgressUpdate value)
    {
        lock (gate)
        {
            var now = clock.Elapsed;
            bool finished = value.Total > 0 && value.Done >= value.Total;
            if (!finished && value.Task == lastTask && now - lastShown < interval) return;
            lastShown = now;
            lastTask = value.Task;
            Last = Format(value, now);
            update(Last);
        }
    }

    /// <summary>The line for one update after <paramref name="elapsed"/>.</summary>
    public static string Format(ProgressUpdate value, TimeSpan elapsed)
    {
        var c = CultureInfo.InvariantCulture;
        var text = value.Total > 0
            ? string.Format(c, "{0}: {1}/{2} ({3:0}%)", value.Task, value.Done, value.Total, 100 * value.Fraction)
            : string.Format(c, "{0}: {1}", value.Task, value.Done);
        text += string.Format(c, " · {0:0.0}s", elapsed.TotalSeconds);
        if (value.Fraction is > 0 and < 1)
            text += string.Format(c, " · ETA {0:0}s", elapsed.TotalSeconds * (1 - value.Fraction) / value.Fraction);
        if (value.Values is { Count: > 0 } values)
            text += " · " + string.Join(", ", values.Select(kv => string.Format(c, "{0} {1:0.####}", kv.Key, kv.Value)));
        return text;
    }
}
