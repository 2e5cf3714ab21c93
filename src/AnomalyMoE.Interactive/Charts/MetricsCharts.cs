using AnomalyMoE.Evaluation;
using Plotly.NET;
using PlotlyChart = Plotly.NET.CSharp.Chart;

namespace AnomalyMoE.Interactive.Charts;

/// <summary>Metrics of several runs side by side.</summary>
public static class MetricsCharts
{
    /// <summary>Grouped bars of image and pixel AUROC per run (a run without pixel masks has no pixel bar).</summary>
    public static GenericChart Aurocs(IEnumerable<(string Run, CategoryMetrics Metrics)> runs, string title = "Image and pixel AUROC")
    {
        var list = runs.ToList();
        if (list.Count == 0) throw new ArgumentException("No runs to chart.");
        var names = list.Select(r => r.Run).ToArray();
        GenericChart Bars(string name, IEnumerable<double> values) =>
            PlotlyChart.Column<double, string, string>(values, Keys: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(names, true),
                Name: new Plotly.NET.CSharp.Optional<string>(name, true));
        return PlotlyChart.Combine(
            [
                Bars("image AUROC", list.Select(r => r.Metrics.ImageAuroc)),
                Bars("pixel AUROC", list.Select(r => r.Metrics.PixelAuroc ?? double.NaN)),
            ])
            .Titled(title).AxisTitles("run", "AUROC").Sized(Math.Max(640, 110 * list.Count + 160), 520).LegendAbove()
            .WithLayoutValues(("yaxis.range", new[] { 0.0, 1.05 }));
    }
}
