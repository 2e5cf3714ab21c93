using AnomalyMoE.Runtime;
using AnomalyMoE.Synthetic.Families;

namespace AnomalyMoE.Synthetic;

/// <summary>The five families (one per benchmark domain of the paper) and their categories.</summary>
public static class SyntheticFamilies
{
    public const string Industrial = "industrial", Logical = "logical", ThreeD = "3d", Medical = "medical", Video = "video";

    /// <summary>Where the 3D family's depth maps go: a sibling dataset root with the same categories, stems and masks.</summary>
    public const string DepthRoot = "3d-depth";

    public static IReadOnlyList<string> Names { get; } = [Industrial, Logical, ThreeD, Medical, Video];

    static readonly IReadOnlyDictionary<string, SyntheticCategory[]> ByFamily = new Dictionary<string, SyntheticCategory[]>
    {
        [Industrial] = [new WeaveCategory(), new NutCategory(), new BoardCategory()],
        [Logical] = [new CompartmentBoxCategory(), new ConnectorCategory()],
        [ThreeD] = [new CookieCategory(), new GearCategory()],
        [Medical] = [new BrainMriCategory(), new RetinaOctCategory()],
        [Video] = [new WalkwayCategory(), new PlazaCategory()],
    };

    /// <summary>The categories of one family.</summary>
    public static IReadOnlyList<SyntheticCategory> Categories(string family) =>
        ByFamily.TryGetValue(family, out var categories)
            ? categories
            : throw new AnomalyMoEException($"Family '{family}' is unknown; choose one of {string.Join(", ", Names)} or all.");

    /// <summary>Parses <c>--family</c>: one name, a comma-separated list, or <c>all</c>.</summary>
    public static IReadOnlyList<string> Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return Names;
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.ToLowerInvariant()).Distinct().ToArray();
        foreach (var name in names) _ = Categories(name);
        return names;
    }
}
