using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Training;
using SkiaSharp;

namespace AnomalyMoE.Interactive.Charts;

/// <summary>Loss curves of a run (its <c>losses.csv</c>, see <see cref="LossLog"/>) drawn with ScottPlot.</summary>
public static class LossCurvePlot
{
    /// <summary>What each logged term is, for the panel titles.</summary>
    static readonly IReadOnlyDictionary<string, string> Meanings = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["total"] = "total (minimised)",
        ["reconstruction"] = "reconstruction (3 levels)",
        ["patch"] = "patch level",
        ["global"] = "global level",
        ["component"] = "component level",
        ["esb"] = "ESB (selection balance)",
        ["eir"] = "EIR (information repulsion)",
        ["estimator"] = "CLUB estimators' own loss",
    };

    /// <summary>
    /// One small panel per logged term (their scales differ by orders of magnitude, so they do not share an axis): the
    /// per-iteration values faint, their moving average bold. Terms that are zero throughout and the learning rate are
    /// left out. <paramref name="panelWidth"/> × <paramref name="panelHeight"/> per panel, <paramref name="columns"/> per row.
    /// </summary>
    public static PngImage FromCsv(string lossesCsv, int panelWidth = 300, int panelHeight = 210, int columns = 4, IReadOnlyCollection<string>? components = null)
    {
        if (!File.Exists(lossesCsv)) throw new FileNotFoundException($"Loss log not found: {lossesCsv}", lossesCsv);
        var columnsRead = LossLog.Read(lossesCsv);
        return FromColumns(columnsRead, Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(lossesCsv))) ?? "run", panelWidth, panelHeight, columns, components);
    }

    /// <summary>As <see cref="FromCsv"/> from columns already read (one column the iteration).</summary>
    public static PngImage FromColumns(IReadOnlyDictionary<string, List<double>> columns, string title, int panelWidth = 300, int panelHeight = 210,
        int panelsPerRow = 4, IReadOnlyCollection<string>? components = null)
    {
        if (panelWidth < 120 || panelHeight < 100) throw new ArgumentOutOfRangeException(nameof(panelWidth), $"Panels of {panelWidth}×{panelHeight} px are too small to read; use at least 120×100.");
        if (panelsPerRow < 1) throw new ArgumentOutOfRangeException(nameof(panelsPerRow), panelsPerRow, "At least one panel per row.");
        var iterationKey = columns.Keys.FirstOrDefault(k => k.Equals("iteration", StringComparison.OrdinalIgnoreCase) || k.Equals("iter", StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"The loss log has no iteration column (columns: {string.Join(", ", columns.Keys)}).");
        var x = columns[iterationKey].ToArray();
        var names = columns.Keys.Where(k => k != iterationKey && !k.Equals("lr", StringComparison.OrdinalIgnoreCase)
                                            && (components is null || components.Contains(k))).ToList();
        if (names.Count == 0) throw new ArgumentException("The loss log has no loss columns to draw.");
        // A term that is zero throughout (e.g. EIR when it is switched off) carries nothing to plot.
        names = names.Where(n => columns[n].Any(v => double.IsFinite(v) && v != 0)).ToList();
        if (names.Count == 0) throw new ArgumentException("Every loss column of the log is zero or missing.");

        int perRow = Math.Min(panelsPerRow, names.Count), rows = (names.Count + perRow - 1) / perRow, header = 34;
        using var surface = SKSurface.Create(new SKImageInfo(perRow * panelWidth, header + rows * panelHeight, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using (var font = new SKFont(SKTypeface.Default, 17))
        using (var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true })
            canvas.DrawText($"Losses per iteration — {title}", 10, 23, SKTextAlign.Left, font, ink);
        for (int i = 0; i < names.Count; i++)
        {
            using var panel = SKBitmap.Decode(Panel(x, columns[names[i]], names[i], panelWidth, panelHeight));
            canvas.DrawBitmap(panel, i % perRow * panelWidth, header + i / perRow * panelHeight);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return new PngImage(data.ToArray(), $"losses of {title}: {string.Join(", ", names)}");
    }

    static byte[] Panel(double[] x, List<double> values, string name, int width, int height)
    {
        var plot = new ScottPlot.Plot();
        var finite = Enumerable.Range(0, Math.Min(x.Length, values.Count)).Where(i => double.IsFinite(values[i])).ToArray();
        var xs = finite.Select(i => x[i]).ToArray();
        var ys = finite.Select(i => values[i]).ToArray();
        var color = ScottPlot.Color.FromHex("#1f77b4");
        var raw = plot.Add.ScatterLine(xs, ys);
        raw.Color = color.WithAlpha(0.3);
        raw.LineWidth = 1;
        if (ys.Length >= 8)
        {
            var smooth = plot.Add.ScatterLine(xs, MovingAverage(ys, Math.Max(2, ys.Length / 15)));
            smooth.Color = color;
            smooth.LineWidth = 2;
        }
        plot.Title(Meanings.TryGetValue(name, out var meaning) ? meaning : name, size: 13);
        plot.XLabel("iteration", size: 11);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        return plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
    }

    /// <summary>The mean of each value and the <paramref name="window"/> − 1 before it (fewer at the start).</summary>
    static double[] MovingAverage(double[] values, int window)
    {
        var result = new double[values.Length];
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
