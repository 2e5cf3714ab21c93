namespace AnomalyMoE.Experts;

/// <summary>
/// One level of an <see cref="ExpertLayout"/>: where its experts stand in the flat expert list (and in the router's weight
/// columns), and how they are named in reports and in the model's parameters.
/// </summary>
public sealed record ExpertLevel
{
    internal ExpertLevel(string name, int offset, int count)
    {
        Name = name;
        Offset = offset;
        Count = count;
    }

    /// <summary>The level's name in reports, charts and losses: <c>patch</c>, <c>global</c> or <c>component</c>.</summary>
    public string Name { get; }

    /// <summary>Index of the level's first expert in the flat expert list.</summary>
    public int Offset { get; }

    /// <summary>Number of experts; 0 disables the level.</summary>
    public int Count { get; }

    /// <summary>Index just past the level's last expert.</summary>
    public int End => Offset + Count;

    /// <summary>The level's experts in the flat list, e.g. the routing weight columns <c>weights[.., level.Slice]</c>.</summary>
    public Range Slice => Offset..End;

    /// <summary>The letter that names the level in ablation strings such as <c>pcg</c>.</summary>
    public char Letter => Name[0];

    /// <summary>The model's module list of the level (<c>patch_experts</c>, …), the first part of its parameter names.</summary>
    public string ModuleName => ExpertLayout.ModuleNameOf(Name);

    /// <summary>The prefix every parameter name of the level's experts starts with (<c>patch_experts.</c>, …).</summary>
    public string ParameterPrefix => ModuleName + ".";

    /// <summary>Whether <paramref name="expert"/>, an index in the flat list, belongs to this level.</summary>
    public bool Contains(int expert) => expert >= Offset && expert < End;

    /// <summary>The report name of the level's <paramref name="index"/>-th expert (<c>patch_0</c>, …).</summary>
    public string ExpertName(int index) => $"{Name}_{Check(index)}";

    /// <summary>The parameter-name prefix of the level's <paramref name="index"/>-th expert (<c>patch_experts.0.</c>, …).</summary>
    public string ExpertParameterPrefix(int index) => $"{ModuleName}.{Check(index)}.";

    /// <summary>The report names of the level's experts, in order.</summary>
    public IReadOnlyList<string> ExpertNames => Enumerable.Range(0, Count).Select(ExpertName).ToArray();

    int Check(int index) => index >= 0 && index < Count ? index
        : throw new ArgumentOutOfRangeException(nameof(index), index, $"The {Name} level has {Count} experts.");
}

/// <summary>
/// The expert layout of an AnomalyMoE model: its levels in the reference's order, patch, global, component (official
/// model.py builds, routes and concatenates its experts in that order), each level's count, offset and slice in the flat
/// expert list and the router's weights, and its experts' report names and parameter-name prefixes.
/// </summary>
public sealed record ExpertLayout
{
    public const string PatchLevel = "patch";
    public const string GlobalLevel = "global";
    public const string ComponentLevel = "component";

    /// <summary>The level names in layout order.</summary>
    public static IReadOnlyList<string> LevelNames { get; } = [PatchLevel, GlobalLevel, ComponentLevel];

    /// <summary>The parameter-name prefixes of the three levels' module lists (<c>patch_experts.</c>, …), in layout order.</summary>
    public static IReadOnlyList<string> ParameterPrefixes { get; } = LevelNames.Select(n => ModuleNameOf(n) + ".").ToArray();

    /// <param name="patchExperts">Number of patch experts (0 disables the level).</param>
    /// <param name="globalExperts">Number of global experts (0 disables the level).</param>
    /// <param name="componentExperts">Number of component experts (0 disables the level).</param>
    public ExpertLayout(int patchExperts, int globalExperts, int componentExperts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patchExperts);
        ArgumentOutOfRangeException.ThrowIfNegative(globalExperts);
        ArgumentOutOfRangeException.ThrowIfNegative(componentExperts);
        Patch = new ExpertLevel(PatchLevel, 0, patchExperts);
        Global = new ExpertLevel(GlobalLevel, Patch.End, globalExperts);
        Component = new ExpertLevel(ComponentLevel, Global.End, componentExperts);
    }

    public ExpertLevel Patch { get; }
    public ExpertLevel Global { get; }
    public ExpertLevel Component { get; }

    /// <summary>The three levels in layout order, empty ones included.</summary>
    public IReadOnlyList<ExpertLevel> Levels => [Patch, Global, Component];

    /// <summary>Total expert count, the router's output width.</summary>
    public int Total => Component.End;

    /// <summary>Expert count per level in layout order (the router's level sizes).</summary>
    public IReadOnlyList<int> Counts => [Patch.Count, Global.Count, Component.Count];

    /// <summary>Every expert's report name in layout order: <c>patch_0</c>…, <c>global_0</c>…, <c>component_0</c>….</summary>
    public IReadOnlyList<string> ExpertNames => Levels.SelectMany(l => l.ExpertNames).ToArray();

    /// <summary>This layout with every level that <paramref name="keep"/> rejects emptied (its experts removed).</summary>
    public ExpertLayout Keeping(Func<ExpertLevel, bool> keep) =>
        new(keep(Patch) ? Patch.Count : 0, keep(Global) ? Global.Count : 0, keep(Component) ? Component.Count : 0);

    /// <summary>The level named <paramref name="level"/> (<c>patch</c>, <c>global</c> or <c>component</c>).</summary>
    public ExpertLevel Level(string level) => Levels.FirstOrDefault(l => l.Name == level)
        ?? throw new ArgumentException($"Level '{level}' is not patch, global or component.", nameof(level));

    /// <summary>The level of <paramref name="expert"/>, an index in the flat list, and its index within that level.</summary>
    public (ExpertLevel Level, int Index) Locate(int expert)
    {
        var level = Levels.FirstOrDefault(l => l.Contains(expert))
            ?? throw new ArgumentOutOfRangeException(nameof(expert), expert, $"The layout has {Total} experts.");
        return (level, expert - level.Offset);
    }

    /// <summary>The report name of <paramref name="expert"/>, an index in the flat list.</summary>
    public string ExpertName(int expert)
    {
        var (level, index) = Locate(expert);
        return level.ExpertName(index);
    }

    /// <summary>The parameter-name prefix of <paramref name="expert"/>, an index in the flat list (<c>global_experts.1.</c>, …).</summary>
    public string ParameterPrefix(int expert)
    {
        var (level, index) = Locate(expert);
        return level.ExpertParameterPrefix(index);
    }

    /// <summary>
    /// The index in <see cref="LevelNames"/> of the level a report name such as <c>global_1</c> belongs to; −1 for a name of
    /// no level.
    /// </summary>
    public static int LevelIndexOf(string expertName)
    {
        for (int i = 0; i < LevelNames.Count; i++)
            if (expertName.StartsWith(LevelNames[i] + "_", StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>The layout whose levels hold as many experts as <paramref name="expertNames"/> (a report's names) name of each.</summary>
    public static ExpertLayout FromExpertNames(IEnumerable<string> expertNames)
    {
        var counts = new int[LevelNames.Count];
        foreach (var name in expertNames)
            if (LevelIndexOf(name) is var i and >= 0) counts[i]++;
        return new ExpertLayout(counts[0], counts[1], counts[2]);
    }

    /// <summary>"Np patch + Ng global + Nc component", as error messages name a layout.</summary>
    public override string ToString() => $"{Patch.Count} patch + {Global.Count} global + {Component.Count} component";

    internal static string ModuleNameOf(string level) => level + "_experts";
}
