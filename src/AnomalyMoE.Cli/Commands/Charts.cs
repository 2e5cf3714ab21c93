using AnomalyMoE.Training;

namespace AnomalyMoE.Cli.Commands;

/// <summary>PNG figures for reports (ScottPlot). A figure that cannot be drawn is reported and skipped, never fatal.</summary>
static class Charts
{
    /// <summary>Grouped bars: one group per label, one bar per series.</summary>
    public static bool TryBars(string path, string title, string[] labels, (string Name, double[] Values) first, (string Name, double[] Values)? second, TextWriter log)
    {
        try
        {
            var plot = new ScottPlot.Plot();
            var series = second is { } s ? new[] { first, s } : new[] { first };
            var palette = new ScottPlot.Palettes.Category10();
            var bars = new List<ScottPlot.Bar>();
            for (int g = 0; g < labels.Length; g++)
            {
                for (int k = 0; k < series.Length; k++)
                {
                    var v = series[k].Values[g];
                    if (double.IsNaN(v)) continue;
                    bars.Add(new ScottPlot.Bar { Position = g * (series.Length + 1) + k, Value = v, FillColor = palette.GetColor(k) });
                }
            }
            plot.Add.Bars(bars);
            var ticks = labels.Select((l, g) => new ScottPlot.Tick(g * (series.Length + 1) + (series.Length - 1) / 2.0, l)).ToArray();
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
            // Rotated up from the tick, each label ends at its bars instead of running into the next group or off the edge.
            plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleRight;
            // Rotated labels need room below the axis: ScottPlot sizes the panel for unrotated text and would cut them off.
            int longest = labels.Length == 0 ? 0 : labels.Max(l => l.Length);
            plot.Axes.Bottom.MinimumSize = (float)(20 + longest * plot.Axes.Bottom.TickLabelStyle.FontSize * 0.6 * Math.Sin(Math.PI / 4));
            plot.Axes.Left.Label.Text = "image AUROC";
            plot.Axes.SetLimitsY(0, 1.05);
            plot.Title(title);
            for (int k = 0; k < series.Length; k++)
                plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = series[k].Name, FillColor = palette.GetColor(k) });
            // Outside the data area: the bars reach the top in most categories.
            plot.ShowLegend(ScottPlot.Edge.Right);
            plot.SavePng(path, Math.Max(760, labels.Length * 60 + 180), 540);
            return true;
        }
        catch (Exception e)
        {
            log.WriteLine($"warning: could not draw {Path.GetFileName(path)}: {e.Message}");
            return false;
        }
    }

    /// <summary>The loss components of a losses.csv over iterations.</summary>
    public static bool TryLossCurve(string lossLogPath, string path, TextWriter log)
    {
        try
        {
            var columns = LossLog.Read(lossLogPath);
            var x = columns["iteration"].ToArray();
            var plot = new ScottPlot.Plot();
            foreach (var name in new[] { "total", "patch", "global", "component" })
            {
                if (!columns.TryGetValue(name, out var values) || values.All(double.IsNaN)) continue;
                var line = plot.Add.ScatterLine(x, values.ToArray());
                line.LegendText = name;
            }
            plot.Axes.SetLimitsY(0, Math.Max(1e-6, columns["total"].Where(v => !double.IsNaN(v)).DefaultIfEmpty(1).Max() * 1.05));
            plot.Title("Training loss");
            plot.XLabel("iteration");
            plot.ShowLegend();
            plot.SavePng(path, 720, 420);
            return true;
        }
        catch (Exception e)
        {
            log.WriteLine($"warning: could not draw {Path.GetFileName(path)}: {e.Message}");
            return false;
        }
    }
}
