using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Training;

namespace AnomalyMoE.Interactive.Charts;

/// <summary>Loss curves of a run (its <c>losses.csv</c>, see <see cref="LossLog"/>) drawn with ScottPlot.</summary>
public static class LossCurvePlot
{
    /// <summary>
    /// One line per loss component against the iteration; components whose values span several decades are drawn on a
    /// log scale. The learning rate column is left out.
    /// </summary>
    public static PngImage FromCsv(string lossesCsv, int width = 720, int height = 360, IReadOnlyCollection<string>? components = null)
    {
        if (!File.Exists(lossesCsv)) throw new FileNotFoundException($"Loss log not found: {lossesCsv}", lossesCsv);
        var columns = LossLog.Read(lossesCsv);
        return FromColumns(columns, Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(lossesCsv))) ?? "run", width, height, components);
    }

    /// <summary>As <see cref="FromCsv"/> from columns already read (first column the iteration).</summary>
    public static PngImage FromColumns(IReadOnlyDictionary<string, List<double>> columns, string title, int width = 720, int height = 360,
        IReadOnlyCollection<string>? components = null)
    {
        var iterationKey = columns.Keys.FirstOrDefault(k => k.Equals("iteration", StringComparison.OrdinalIgnoreCase) || k.Equals("iter", StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"The loss log has no iteration column (columns: {string.Join(", ", columns.Keys)}).");
        var x = columns[iterationKey].ToArray();
        var names = columns.Keys.Where(k => k != iterationKey && !k.Equals("lr", StringComparison.OrdinalIgnoreCase)
                                            && (components is null || components.Contains(k))).ToList();
        if (names.Count == 0) throw new ArgumentException("The loss log has no loss columns to draw.");
        // A term that is zero throughout (e.g. EIR with one expert per level) carries nothing to plot.
        names = names.Where(n => columns[n].Any(v => double.IsFinite(v) && v != 0)).ToList();
        if (names.Count == 0) throw new ArgumentException("Every loss column of the log is zero or missing.");
        var plot = new ScottPlot.Plot();
        var values = names.SelectMany(n => columns[n]).Where(double.IsFinite).ToArray();
        bool log = values.All(v => v > 0) && values.Max() / values.Min() > 1e3;
        foreach (var name in names)
        {
            var y = columns[name].Select(v => log ? Math.Log10(v) : v).ToArray();
            var line = plot.Add.ScatterLine(x, y);
            line.LegendText = name;
            line.LineWidth = 2;
        }
        plot.Title($"Losses — {title}");
        plot.XLabel("iteration");
        plot.YLabel(log ? "log10(loss)" : "loss");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return new PngImage(plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png), $"losses of {title}");
    }
}
