using AnomalyMoE.Interactive.Rendering;
using SkiaSharp;

namespace AnomalyMoE.Interactive.Charts;

/// <summary>One series of <see cref="DomainCharts.GroupedBars"/>: a name and one value per group (null = no bar).</summary>
public sealed record BarSeries(string Name, IReadOnlyList<double?> Values);

/// <summary>One clip's frames for <see cref="DomainCharts.ClipTimelines"/>: frame numbers, scores and ground truth, in frame order.</summary>
public sealed record ClipTrace(string Clip, IReadOnlyList<int> Frames, IReadOnlyList<double> Scores, IReadOnlyList<bool> Anomalous)
{
    public ClipTrace Validate()
    {
        if (Frames.Count == 0) throw new ArgumentException($"Clip '{Clip}' has no frames.");
        if (Scores.Count != Frames.Count || Anomalous.Count != Frames.Count)
            throw new ArgumentException($"Clip '{Clip}': {Frames.Count} frames, {Scores.Count} scores and {Anomalous.Count} labels must agree.");
        return this;
    }

    /// <summary>Runs of consecutive anomalous frames as (first, last) frame numbers.</summary>
    public IReadOnlyList<(int First, int Last)> AnomalousRuns()
    {
        var runs = new List<(int, int)>();
        for (int i = 0; i < Frames.Count; i++)
        {
            if (!Anomalous[i]) continue;
            int start = i;
            while (i + 1 < Frames.Count && Anomalous[i + 1] && Frames[i + 1] == Frames[i] + 1) i++;
            runs.Add((Frames[start], Frames[i]));
        }
        return runs;
    }
}

/// <summary>The domain notebooks' charts, drawn with ScottPlot as PNGs (so they show, and can be checked, without a browser).</summary>
public static class DomainCharts
{
    static readonly string[] Colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

    /// <summary>
    /// Grouped bars: one group per label along the x axis, one colour per series (legend to the right of the axes), each bar's value written on
    /// it. The y axis spans [<paramref name="yMin"/>, <paramref name="yMax"/>] (metrics in [0, 1] by default); the width, unless
    /// given, grows with the number of bars.
    /// </summary>
    public static PngImage GroupedBars(string title, IReadOnlyList<string> groups, IReadOnlyList<BarSeries> series, string yLabel,
        double yMin = 0, double yMax = 1.08, int? width = null, int height = 400)
    {
        if (groups.Count == 0 || series.Count == 0) throw new ArgumentException("A bar chart needs at least one group and one series.");
        foreach (var s in series)
            if (s.Values.Count != groups.Count) throw new ArgumentException($"Series '{s.Name}' has {s.Values.Count} values for {groups.Count} groups.");
        var plot = new ScottPlot.Plot();
        double slot = 0.8 / series.Count;
        for (int k = 0; k < series.Count; k++)
        {
            var colour = ScottPlot.Color.FromHex(Colours[k % Colours.Length]);
            var bars = new List<ScottPlot.Bar>();
            for (int g = 0; g < groups.Count; g++)
            {
                if (series[k].Values[g] is not { } v || !double.IsFinite(v)) continue;
                bars.Add(new ScottPlot.Bar
                {
                    Position = g + (k - (series.Count - 1) / 2.0) * slot, Value = v, Size = slot * 0.92, FillColor = colour,
                    Label = v.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
                });
            }
            var plottable = plot.Add.Bars(bars);
            plottable.ValueLabelStyle.FontSize = 11;
            plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = series[k].Name, FillColor = colour });
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, groups.Count).Select(i => (double)i).ToArray(), groups.ToArray());
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Axes.SetLimits(-0.6, groups.Count - 0.4, yMin, yMax);
        plot.Title(title, size: 15);
        plot.YLabel(yLabel, size: 13);
        plot.Legend.FontSize = 12;
        // Beside the axes, not inside them: inside, the legend covered the last group's bars and their values.
        plot.ShowLegend(ScottPlot.Edge.Right);
        // Wide enough for every bar's value label ("0.99", about 26 px) beside the legend: 36 px per bar.
        int pixels = width ?? Math.Max(680, 250 + groups.Count * (series.Count * 36 + 30));
        return new PngImage(plot.GetImageBytes(pixels, height, ScottPlot.ImageFormat.Png), title);
    }

    /// <summary>
    /// One panel per clip, stacked: the anomaly score over the clip's frames, ground-truth anomalous frames shaded red,
    /// and the decision threshold dashed when there is one. All panels share the score axis, so clips compare.
    /// </summary>
    public static PngImage ClipTimelines(IReadOnlyList<ClipTrace> clips, double? threshold = null, string title = "Anomaly score over each test clip",
        int width = 760, int panelHeight = 200)
    {
        if (clips.Count == 0) throw new ArgumentException("No clips to plot.");
        foreach (var c in clips) c.Validate();
        var all = clips.SelectMany(c => c.Scores).Where(double.IsFinite).Concat(threshold is { } t ? [t] : []).ToList();
        double lo = all.Count > 0 ? all.Min() : 0, hi = all.Count > 0 ? all.Max() : 1;
        double pad = Math.Max(1e-6, (hi - lo) * 0.08);
        int header = 52;
        using var surface = SKSurface.Create(new SKImageInfo(width, header + clips.Count * panelHeight, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        // The key goes on a line of its own: beside a run's name in the title it ran past the image's edge.
        using (var font = new SKFont(SKTypeface.Default, 17))
        using (var small = new SKFont(SKTypeface.Default, 13))
        using (var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            canvas.DrawText(title, 10, 22, SKTextAlign.Left, font, ink);
            canvas.DrawText("red: ground-truth anomalous frames" + (threshold is null ? "" : "; dashed: decision threshold"), 10, 42, SKTextAlign.Left, small, ink);
        }
        for (int i = 0; i < clips.Count; i++)
        {
            using var panel = SKBitmap.Decode(ClipPanel(clips[i], threshold, lo - pad, hi + pad, width, panelHeight));
            canvas.DrawBitmap(panel, 0, header + i * panelHeight);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return new PngImage(data.ToArray(), $"{title}: {clips.Count} clips");
    }

    static byte[] ClipPanel(ClipTrace clip, double? threshold, double yMin, double yMax, int width, int height)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (first, last) in clip.AnomalousRuns())
        {
            var span = plot.Add.HorizontalSpan(first - 0.5, last + 0.5);
            span.FillStyle.Color = ScottPlot.Color.FromHex("#d62728").WithAlpha(0.25);
            span.LineStyle.Width = 0;
        }
        var line = plot.Add.ScatterLine(clip.Frames.Select(f => (double)f).ToArray(), clip.Scores.ToArray());
        line.Color = ScottPlot.Color.FromHex("#1f77b4");
        line.LineWidth = 2;
        line.MarkerSize = 6;
        line.MarkerShape = ScottPlot.MarkerShape.FilledCircle;
        if (threshold is { } t)
        {
            var rule = plot.Add.HorizontalLine(t);
            rule.LinePattern = ScottPlot.LinePattern.Dashed;
            rule.Color = ScottPlot.Colors.Black;
            rule.LineWidth = 1.5f;
        }
        plot.Axes.SetLimits(clip.Frames.Min() - 0.7, clip.Frames.Max() + 0.7, yMin, yMax);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Title($"clip {clip.Clip}", size: 13);
        plot.XLabel("frame", size: 12);
        plot.YLabel("score", size: 12);
        return plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
    }
}
