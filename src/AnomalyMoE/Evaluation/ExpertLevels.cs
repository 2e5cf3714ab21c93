namespace AnomalyMoE.Evaluation;

/// <summary>The expert levels' names in reports (<c>expert_levels.&lt;name&gt;</c>), in routing order.</summary>
public static class ExpertLevels
{
    public const string Patch = "patch";
    public const string Global = "global";
    public const string Component = "component";

    public static IReadOnlyList<string> All { get; } = [Patch, Global, Component];
}
