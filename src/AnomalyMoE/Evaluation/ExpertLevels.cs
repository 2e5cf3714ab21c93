using AnomalyMoE.Experts;

namespace AnomalyMoE.Evaluation;

/// <summary>The expert levels' names in reports (<c>expert_levels.&lt;name&gt;</c>), in routing order (<see cref="ExpertLayout"/>).</summary>
public static class ExpertLevels
{
    public const string Patch = ExpertLayout.PatchLevel;
    public const string Global = ExpertLayout.GlobalLevel;
    public const string Component = ExpertLayout.ComponentLevel;

    public static IReadOnlyList<string> All => ExpertLayout.LevelNames;
}
