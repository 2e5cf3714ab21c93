using AnomalyMoE.Experts;
using Plotly.NET;
using PlotlyChart = Plotly.NET.CSharp.Chart;

namespace AnomalyMoE.Interactive.Charts;

/// <summary>
/// Routing weights of an evaluated set: <c>Weights[image][expert]</c> (zero for unselected experts), the expert counts
/// per level in the model's order (patch, global, component), and one label per image.
/// </summary>
public sealed record RoutingSummary(double[][] Weights, int PatchExperts, int GlobalExperts, int ComponentExperts, IReadOnlyList<string> ImageLabels)
{
    public RoutingSummary(double[][] weights, ExpertLayout layout, IReadOnlyList<string> imageLabels)
        : this(weights, layout.Patch.Count, layout.Global.Count, layout.Component.Count, imageLabels)
    {
    }

    public ExpertLayout Layout => new(PatchExperts, GlobalExperts, ComponentExperts);

    public int ExpertCount => Layout.Total;

    /// <summary>Expert names in routing order: P0…, G0…, C0….</summary>
    public IReadOnlyList<string> ExpertNames =>
        Layout.Levels.SelectMany(l => Enumerable.Range(0, l.Count).Select(i => $"{char.ToUpperInvariant(l.Letter)}{i}")).ToArray();

    /// <summary>Share of images that selected each expert (weight &gt; 0).</summary>
    public double[] SelectionRate() => Enumerable.Range(0, ExpertCount)
        .Select(e => Weights.Length == 0 ? 0 : Weights.Count(w => w[e] > 0) / (double)Weights.Length).ToArray();

    /// <summary>Mean total weight each level receives per image (the fusion weights the level's map by its largest expert weight).</summary>
    public IReadOnlyDictionary<string, double> LevelShare()
    {
        double Share(ExpertLevel level) => level.Count == 0 || Weights.Length == 0 ? 0 : Weights.Average(w => w.Skip(level.Offset).Take(level.Count).Sum());
        return Layout.Levels.ToDictionary(l => l.Name, Share);
    }

    /// <summary>
    /// Whether every image gives each level weight 1 (per-level routing): the level shares then say nothing, and how the
    /// weight splits inside a level is what the heat map shows.
    /// </summary>
    public bool RoutedPerLevel => Weights.Length > 0 && Weights.All(w =>
        Layout.Levels.Where(l => l.Count > 0).All(l => Math.Abs(w.Skip(l.Offset).Take(l.Count).Sum() - 1) < 1e-4));

    public RoutingSummary Validate()
    {
        if (Weights.Any(w => w.Length != ExpertCount))
            throw new ArgumentException($"Every weight row must hold {ExpertCount} experts ({Layout}).");
        if (ImageLabels.Count != Weights.Length)
            throw new ArgumentException($"{ImageLabels.Count} image labels for {Weights.Length} weight rows.");
        return this;
    }
}

/// <summary>Plotly charts of router decisions: images × experts heat map, and expert utilisation bars per level.</summary>
public static class RoutingCharts
{
    /// <summary>
    /// Heat map of routing weights, one row per image (the first on top, every row labelled), one column per expert
    /// (P = patch, G = global, C = component).
    /// </summary>
    public static GenericChart Heatmap(RoutingSummary routing, string title = "Routing weights (images × experts)")
    {
        routing.Validate();
        string rowTitle = "image";
        if (routing.Weights.Length > MaxImageRows && ByGroup(routing) is { } grouped)
        {
            // Hundreds of one-pixel rows cannot be read: one row per image group (category:defect type), its mean weight.
            (routing, rowTitle) = (grouped, "image group (mean over its images)");
        }
        var z = routing.Weights.Select(r => (IEnumerable<double>)r).ToArray();
        var labels = Unique(routing.ImageLabels);
        int labelWidth = 7 * labels.DefaultIfEmpty("").Max(l => l.Length);
        int width = Math.Max(Math.Max(480, 8 * title.Length + 60), labelWidth + 48 * routing.ExpertCount + 200);
        int height = Math.Max(300, 22 * routing.Weights.Length + 150);
        return PlotlyChart.Heatmap<double, string, string, string>(
                zData: z, X: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(routing.ExpertNames, true),
                Y: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(labels, true))
            .Titled(title)
            .AxisTitles("expert", rowTitle)
            .Sized(width, height)
            .WithLayoutValues(("yaxis.autorange", "reversed"), ("yaxis.dtick", 1), ("xaxis.dtick", 1), ("xaxis.side", "bottom"));
    }

    /// <summary>
    /// Bars of the share of evaluated images that selected each expert (<see cref="Evaluation.EvaluationReport.RoutingOverall"/>),
    /// one series per run, experts by their report names (<c>patch_0</c>, …).
    /// </summary>
    public static GenericChart SelectionShare(IEnumerable<(string Run, Evaluation.EvaluationReport Report)> runs, string title = "Share of test images that selected each expert")
    {
        var bars = runs.Where(r => r.Report.ExpertNames.Count > 0).Select(r =>
            PlotlyChart.Column<double, string, string>(r.Report.RoutingOverall, Keys: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(r.Report.ExpertNames, true),
                Name: new Plotly.NET.CSharp.Optional<string>(r.Run, true))).ToList();
        if (bars.Count == 0) throw new ArgumentException("No run with experts to chart.");
        return PlotlyChart.Combine(bars).Titled(title).AxisTitles("expert", "share of images").Sized(Math.Max(560, 8 * title.Length + 60), 460)
            .LegendAbove().WithLayoutValues(("yaxis.range", new[] { 0.0, 1.05 }), ("showlegend", bars.Count > 1));
    }

    /// <summary>
    /// The same shares for many runs as a heat map, one row per run and one column per expert (blank where a run has no such
    /// expert, e.g. a level left out): easier to read than many bars.
    /// </summary>
    public static GenericChart SelectionShareMap(IEnumerable<(string Run, Evaluation.EvaluationReport Report)> runs, string title = "Share of test images that selected each expert")
    {
        var list = runs.Where(r => r.Report.ExpertNames.Count > 0).ToList();
        if (list.Count == 0) throw new ArgumentException("No run with experts to chart.");
        // A name of no level sorts with the last level.
        static int Order(string expert) => ExpertLayout.LevelIndexOf(expert) is var i and >= 0 ? i : ExpertLayout.LevelNames.Count - 1;
        var experts = list.SelectMany(r => r.Report.ExpertNames).Distinct().OrderBy(Order).ThenBy(e => e, StringComparer.Ordinal).ToArray();
        var z = list.Select(r => (IEnumerable<double>)experts.Select(e =>
        {
            int i = r.Report.ExpertNames.ToList().IndexOf(e);
            return i < 0 ? double.NaN : r.Report.RoutingOverall[i];
        }).ToArray()).ToArray();
        var names = Unique(list.Select(r => r.Run).ToList());
        int labelWidth = 7 * names.Max(l => l.Length);
        return PlotlyChart.Heatmap<double, string, string, string>(
                zData: z, X: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(experts, true),
                Y: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(names, true))
            .Titled(title)
            .AxisTitles("expert", "run")
            .Sized(Math.Max(Math.Max(520, 8 * title.Length + 60), labelWidth + 70 * experts.Length + 200), Math.Max(300, 30 * list.Count + 170))
            .WithLayoutValues(("yaxis.autorange", "reversed"), ("yaxis.dtick", 1), ("xaxis.dtick", 1));
    }

    /// <summary>Bars of the mean weight each level receives.</summary>
    public static GenericChart LevelShare(RoutingSummary routing, string title = "Weight per level")
    {
        var share = routing.Validate().LevelShare();
        // Under per-level routing every bar is 1 by construction; say so instead of leaving the reader to wonder.
        var shown = routing.RoutedPerLevel ? title + "<br><sub>routed per level: each level's weights sum to 1</sub>" : title;
        return PlotlyChart.Column<double, string, string>(share.Values, Keys: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(share.Keys, true),
                Name: new Plotly.NET.CSharp.Optional<string>("mean weight", true))
            .Titled(shown).AxisTitles("level", "mean routing weight per image").Sized(Math.Max(480, 8 * title.Length + 60), 400)
            .WithLayoutValues(("yaxis.range", new[] { 0.0, 1.05 }));
    }

    /// <summary>Above this many images <see cref="Heatmap"/> shows one row per image group.</summary>
    public const int MaxImageRows = 40;

    /// <summary>
    /// One row per group of images, a group being a label up to its last '/' (<c>category:defect/name</c> → <c>category:defect</c>),
    /// labelled with its image count, holding the mean weights; null when that would not make fewer rows.
    /// </summary>
    static RoutingSummary? ByGroup(RoutingSummary routing)
    {
        static string Group(string label) => label.LastIndexOf('/') is > 0 and var i ? label[..i] : label;
        var groups = routing.ImageLabels.Select((label, row) => (Group(label), row)).GroupBy(g => g.Item1, g => g.row).ToList();
        if (groups.Count >= routing.Weights.Length) return null;
        var weights = groups.Select(g => Enumerable.Range(0, routing.ExpertCount).Select(e => g.Average(row => routing.Weights[row][e])).ToArray()).ToArray();
        var labels = groups.Select(g => $"{g.Key} ({g.Count()})").ToList();
        return routing with { Weights = weights, ImageLabels = labels };
    }

    static string[] Unique(IReadOnlyList<string> labels)
    {
        // Plotly merges rows with equal category labels; number repeats so every image keeps its row.
        var seen = new Dictionary<string, int>();
        return labels.Select(l => seen.TryGetValue(l, out var n) ? $"{l} ({seen[l] = n + 1})" : (seen[l] = 1) > 0 ? l : l).ToArray();
    }
}
