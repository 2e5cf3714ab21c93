using AnomalyMoE.Runtime;
namespace AnomalyMoE.Synthetic;

/// <summary>
/// What <see cref="SyntheticBenchmark"/> generates. <paramref name="TrainPerCategory"/> and
/// <paramref name="TestPerCategory"/> count images per category; <paramref name="NormalTestFraction"/>
/// of each test split is normal (the issue asks for at least 30 %).
/// </summary>
public sealed record SynthOptions(
    IReadOnlyList<string> Families,
    int Seed = 0,
    int Size = 256,
    int TrainPerCategory = 150,
    int TestPerCategory = 100,
    double NormalTestFraction = 0.4,
    int MaxDegreeOfParallelism = 0)
{
    /// <summary>Every family at the default size and counts (about 150 train / 100 test per category).</summary>
    public static SynthOptions Default { get; } = new(SyntheticFamilies.Names);

    /// <summary>A few small images of every family: for tests and smoke runs.</summary>
    public static SynthOptions Tiny { get; } = new(SyntheticFamilies.Names, Size: 64, TrainPerCategory: 4, TestPerCategory: 10);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (Families is null || Families.Count == 0)
            throw new AnomalyMoEException("Families: choose at least one of " + string.Join(", ", SyntheticFamilies.Names) + ".");
        foreach (var family in Families)
        {
            if (!SyntheticFamilies.Names.Contains(family))
                throw new AnomalyMoEException($"Family '{family}' is unknown; choose one of {string.Join(", ", SyntheticFamilies.Names)} or all.");
        }
        if (Size is < 32 or > 2048) throw new AnomalyMoEException($"Size {Size} is out of range: use 32 to 2048 pixels.");
        if (TrainPerCategory < 1) throw new AnomalyMoEException($"TrainPerCategory {TrainPerCategory} must be at least 1.");
        if (NormalTestFraction is < 0.3 or >= 1) throw new AnomalyMoEException($"NormalTestFraction {NormalTestFraction} must be in [0.3, 1).");
        if (MaxDegreeOfParallelism < 0) throw new AnomalyMoEException($"MaxDegreeOfParallelism {MaxDegreeOfParallelism} must be 0 (all cores) or positive.");
        var needed = MinimumTestPerCategory(Families, NormalTestFraction);
        if (TestPerCategory < needed)
            throw new AnomalyMoEException($"TestPerCategory {TestPerCategory} is too small: at least {needed} are needed so that every anomaly type " +
                                        $"appears and {NormalTestFraction:P0} stay normal.");
    }

    /// <summary>The smallest test split per category that holds every anomaly type once plus the normal share.</summary>
    public static int MinimumTestPerCategory(IEnumerable<string> families, double normalFraction)
    {
        var maxKinds = families.SelectMany(SyntheticFamilies.Categories).Max(c => c.AnomalyKinds.Count);
        for (var n = 1; ; n++)
        {
            if (n - TestPlan.NormalCount(n, normalFraction) >= maxKinds) return n;
        }
    }
}
