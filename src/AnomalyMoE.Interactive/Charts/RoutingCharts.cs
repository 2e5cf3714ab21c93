using Plotly.NET;
using PlotlyChart = Plotly.NET.CSharp.Chart;

namespace AnomalyMoE.Interactive.Charts;

/// <summary>
/// Routing weights of an evaluated set: <c>Weights[image][expert]</c> (zero for unselected experts), the expert counts
/// per level in the model's order (patch, global, component), and one label per image.
/// </summary>
public sealed record RoutingSummary(double[][] Weights, int PatchExperts, int GlobalExperts, int ComponentExperts, IReadOnlyList<string> ImageLabels)
{
    public int ExpertCount => PatchExperts + GlobalExperts + ComponentExperts;

    /// <summary>Expert names in routing order: P0…, G0…, C0….</summary>
    public IReadOnlyList<string> ExpertNames =>
        Enumerable.Range(0, PatchExperts).Select(i => $"P{i}")
            .Concat(Enumerable.Range(0, GlobalExperts).Select(i => $"G{i}"))
            .Concat(Enumerable.Range(0, ComponentExperts).Select(i => $"C{i}")).ToArray();

    /// <summary>Share of images that selected each expert (weight &gt; 0).</summary>
    public double[] SelectionRate() => Enumerable.Range(0, ExpertCount)
        .Select(e => Weights.Length == 0 ? 0 : Weights.Count(w => w[e] > 0) / (double)Weights.Length).ToArray();

    /// <summary>Mean routing weight of each expert over the images.</summary>
    public double[] MeanWeight() => Enumerable.Range(0, ExpertCount)
        .Select(e => Weights.Length == 0 ? 0 : Weights.Average(w => w[e])).ToArray();

    /// <summary>Mean total weight each level receives per image (the fusion weights the level's map by its largest expert weight).</summary>
    public IReadOnlyDictionary<string, double> LevelShare()
    {
        double Level(int start, int count) => count == 0 || Weights.Length == 0 ? 0 : Weights.Average(w => w.Skip(start).Take(count).Sum());
        return new Dictionary<string, double>
        {
            ["patch"] = Level(0, PatchExperts),
            ["global"] = Level(PatchExperts, GlobalExperts),
            ["component"] = Level(PatchExperts + GlobalExperts, ComponentExperts),
        };
    }

    public RoutingSummary Validate()
    {
        if (Weights.Any(w => w.Length != ExpertCount))
            throw new ArgumentException($"Every weight row must hold {ExpertCount} experts ({PatchExperts} patch + {GlobalExperts} global + {ComponentExperts} component).");
        if (ImageLabels.Count != Weights.Length)
            throw new ArgumentException($"{ImageLabels.Count} image labels for {Weights.Length} weight rows.");
        return this;
    }
}

/// <summary>Plotly charts of router decisions: images × experts heat map, and expert utilisation bars per level.</summary>
public static class RoutingCharts
{
    /// <summary>Heat map of routing weights, one row per image, one column per expert.</summary>
    public static GenericChart Heatmap(RoutingSummary routing, string title = "Routing weights (images × experts)")
    {
        routing.Validate();
        var z = routing.Weights.Select(r => (IEnumerable<double>)r).ToArray();
        return PlotlyChart.Heatmap<double, string, string, string>(
                zData: z, X: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(routing.ExpertNames, true),
                Y: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(Unique(routing.ImageLabels), true))
            .Titled(title)
            .Sized(Math.Max(420, 40 * routing.ExpertCount + 200), Math.Min(900, Math.Max(300, 14 * routing.Weights.Length + 120)));
    }

    /// <summary>Bars of each expert's selection rate, coloured by level, with the mean weight as a second series.</summary>
    public static GenericChart Utilisation(RoutingSummary routing, string title = "Expert utilisation")
    {
        routing.Validate();
        var names = routing.ExpertNames;
        var rate = routing.SelectionRate();
        var mean = routing.MeanWeight();
        return PlotlyChart.Combine(
            [
                PlotlyChart.Column<double, string, string>(rate, Keys: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(names, true),
                    Name: new Plotly.NET.CSharp.Optional<string>("selected by (share of images)", true)),
                PlotlyChart.Column<double, string, string>(mean, Keys: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(names, true),
                    Name: new Plotly.NET.CSharp.Optional<string>("mean weight", true)),
            ])
            .Titled(title);
    }

    /// <summary>Bars of the mean weight each level receives.</summary>
    public static GenericChart LevelShare(RoutingSummary routing, string title = "Weight per level")
    {
        var share = routing.Validate().LevelShare();
        return PlotlyChart.Column<double, string, string>(share.Values, Keys: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(share.Keys, true),
                Name: new Plotly.NET.CSharp.Optional<string>("mean weight", true))
            .Titled(title);
    }

    static string[] Unique(IReadOnlyList<string> labels)
    {
        // Plotly merges rows with equal category labels; number repeats so every image keeps its row.
        var seen = new Dictionary<string, int>();
        return labels.Select(l => seen.TryGetValue(l, out var n) ? $"{l} ({seen[l] = n + 1})" : (seen[l] = 1) > 0 ? l : l).ToArray();
    }
}
