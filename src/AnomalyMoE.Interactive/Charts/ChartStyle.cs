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
}
