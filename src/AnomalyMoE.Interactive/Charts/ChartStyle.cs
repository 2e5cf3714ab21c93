using DynamicObj;
using Plotly.NET;
using Plotly.NET.CSharp;

namespace AnomalyMoE.Interactive.Charts;

/// <summary>Small C# helpers over Plotly.NET's curried styling functions.</summary>
public static class ChartStyle
{
    public static GenericChart Titled(this GenericChart chart, string title) => Plotly.NET.Chart.withTitle(TitleOf(title)).Invoke(chart);

    public static GenericChart Sized(this GenericChart chart, int width, int height) => chart.WithSize(width, height);

    public static GenericChart AxisTitles(this GenericChart chart, string x, string y) =>
        chart.WithXAxisStyle<double, double, string>(Title: TitleOf(x)).WithYAxisStyle<double, double, string>(Title: TitleOf(y));

    /// <summary>A plain text title (Plotly.NET's <c>Title.init</c> takes every style option positionally).</summary>
    public static Title TitleOf(string text) =>
        Title.init(Microsoft.FSharp.Core.FSharpOption<string>.Some(text), null, null, null, null, null, null, null, null, null, null, null);

    /// <summary>
    /// Sets plotly.js layout attributes by dotted path (<c>("yaxis.autorange", "reversed")</c>), creating the objects on the
    /// way. Changes this chart's layout and returns the chart: apply it after the styling calls that rebuild the layout.
    /// </summary>
    public static GenericChart WithLayoutValues(this GenericChart chart, params (string Path, object Value)[] values)
    {
        var layout = GenericChart.getLayout(chart);
        foreach (var (path, value) in values)
        {
            var parts = path.Split('.');
            DynamicObj.DynamicObj node = layout;
            foreach (var part in parts[..^1])
            {
                if (node.TryGetPropertyValue(part)?.Value is DynamicObj.DynamicObj child)
                {
                    node = child;
                    continue;
                }
                var created = new DynamicObj.DynamicObj();
                node.SetProperty(part, created);
                node = created;
            }
            node.SetProperty(parts[^1], value);
        }
        return chart;
    }

    /// <summary>A legend in one row under the plot, so long series names do not squeeze the plot area.</summary>
    public static GenericChart LegendBelow(this GenericChart chart) =>
        chart.WithLayoutValues(("legend.orientation", "h"), ("legend.x", 0), ("legend.xanchor", "left"), ("legend.y", -0.18), ("legend.yanchor", "top"));

    /// <summary>A legend in one row between the title and the plot.</summary>
    public static GenericChart LegendAbove(this GenericChart chart) =>
        chart.WithLayoutValues(("legend.orientation", "h"), ("legend.x", 0), ("legend.xanchor", "left"), ("legend.y", 1.02), ("legend.yanchor", "bottom"));
}
