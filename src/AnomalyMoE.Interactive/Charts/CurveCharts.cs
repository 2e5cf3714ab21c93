using AnomalyMoE.Runtime;
using Plotly.NET;
using PlotlyChart = Plotly.NET.CSharp.Chart;

namespace AnomalyMoE.Interactive.Charts;

/// <summary>ROC and precision–recall points of one score set, thresholds at each distinct score (highest first).</summary>
public sealed record Curve(string Name, double[] X, double[] Y, double Area);

/// <summary>Computes ROC and PR curves and draws them with Plotly.</summary>
public static class CurveCharts
{
    /// <summary>ROC curve (false-positive rate, true-positive rate) with its trapezoid area (= AUROC).</summary>
    public static Curve Roc(string name, IReadOnlyList<float> scores, IReadOnlyList<int> labels)
    {
        var (tp, fp, positives, negatives) = Sweep(scores, labels);
        var fpr = fp.Select(f => f / (double)negatives).Prepend(0).ToArray();
        var tpr = tp.Select(t => t / (double)positives).Prepend(0).ToArray();
        double area = 0;
        for (int i = 1; i < fpr.Length; i++) area += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2;
        return new Curve(name, fpr, tpr, area);
    }

    /// <summary>Precision–recall curve (recall, precision) with average precision Σ (Rₙ − Rₙ₋₁)·Pₙ.</summary>
    public static Curve PrecisionRecall(string name, IReadOnlyList<float> scores, IReadOnlyList<int> labels)
    {
        var (tp, fp, positives, _) = Sweep(scores, labels);
        var recall = tp.Select(t => t / (double)positives).ToArray();
        var precision = tp.Select((t, i) => t / (double)(t + fp[i])).ToArray();
        double ap = 0, previous = 0;
        for (int i = 0; i < recall.Length; i++)
        {
            ap += (recall[i] - previous) * precision[i];
            previous = recall[i];
        }
        return new Curve(name, recall.Prepend(0).ToArray(), precision.Prepend(1).ToArray(), ap);
    }

    /// <summary>ROC curves of several score sets with the chance diagonal.</summary>
    public static GenericChart RocChart(IEnumerable<Curve> curves, string title = "ROC")
    {
        var lines = curves.Select(c => Line(c.X, c.Y, $"{c.Name} (AUROC {c.Area:0.000})")).ToList();
        // Grey and dashed, so the reference line is not read as one more detector in the default colour cycle.
        lines.Add(PlotlyChart.Line<double, double, string>([0, 1], [0, 1], Name: new Plotly.NET.CSharp.Optional<string>("chance", true),
            LineColor: new Plotly.NET.CSharp.Optional<Color>(Color.fromString("grey"), true),
            LineDash: new Plotly.NET.CSharp.Optional<StyleParam.DrawingStyle>(StyleParam.DrawingStyle.Dash, true)));
        return Square(PlotlyChart.Combine(lines).Titled(title).AxisTitles("false-positive rate", "true-positive rate"));
    }

    /// <summary>Precision–recall curves of several score sets.</summary>
    public static GenericChart PrecisionRecallChart(IEnumerable<Curve> curves, string title = "Precision–recall") =>
        Square(PlotlyChart.Combine(curves.Select(c => Line(c.X, c.Y, $"{c.Name} (AP {c.Area:0.000})")))
            .Titled(title).AxisTitles("recall", "precision"));

    /// <summary>Both axes fixed to [0, 1] on a square plot, the legend underneath (names carry the areas and can be long).</summary>
    static GenericChart Square(GenericChart chart) =>
        chart.Sized(520, 600).LegendBelow()
            .WithLayoutValues(("xaxis.range", new[] { -0.01, 1.01 }), ("yaxis.range", new[] { -0.01, 1.03 }), ("margin.b", 150));

    static GenericChart Line(double[] x, double[] y, string name) =>
        PlotlyChart.Line<double, double, string>(x, y, Name: new Plotly.NET.CSharp.Optional<string>(name, true));

    static (long[] TruePositives, long[] FalsePositives, long Positives, long Negatives) Sweep(IReadOnlyList<float> scores, IReadOnlyList<int> labels)
    {
        if (scores.Count != labels.Count) throw new AnomalyMoEException($"{scores.Count} scores but {labels.Count} labels.");
        long positives = labels.Count(l => l == 1), negatives = labels.Count(l => l == 0);
        if (positives + negatives != labels.Count) throw new AnomalyMoEException("Labels must be 0 (normal) or 1 (anomalous).");
        if (positives == 0 || negatives == 0) throw new AnomalyMoEException($"A curve needs both classes; got {positives} anomalous and {negatives} normal samples.");
        if (scores.Any(float.IsNaN)) throw new AnomalyMoEException("A score is NaN.");
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        var tps = new List<long>();
        var fps = new List<long>();
        long tp = 0, fp = 0;
        for (int k = 0; k < order.Length; k++)
        {
            if (labels[order[k]] == 1) tp++; else fp++;
            // One point per distinct score: ties move together.
            if (k == order.Length - 1 || scores[order[k + 1]] != scores[order[k]])
            {
                tps.Add(tp);
                fps.Add(fp);
            }
        }
        return (tps.ToArray(), fps.ToArray(), positives, negatives);
    }
}
