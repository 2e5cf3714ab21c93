namespace AnomalyMoE.Synthetic;

/// <summary>
/// The semantic level an anomaly lives on, matching AnomalyMoE's three expert groups:
/// structural (local texture or surface defects → patch experts), component (a wrong part →
/// component experts) and logical (a violated scene rule with no local defect → global experts).
/// </summary>
public enum AnomalyLevel { None, Structural, Component, Logical }

/// <summary>One anomaly type of a category: its folder name under <c>test/</c> and its level.</summary>
public sealed record AnomalyKind(string Name, AnomalyLevel Level)
{
    public static AnomalyKind Structural(string name) => new(name, AnomalyLevel.Structural);
    public static AnomalyKind Component(string name) => new(name, AnomalyLevel.Component);
    public static AnomalyKind Logical(string name) => new(name, AnomalyLevel.Logical);

    /// <summary>The <c>level</c> column of <c>metadata.csv</c>.</summary>
    public static string LevelName(AnomalyLevel level) => level switch
    {
        AnomalyLevel.None => "none",
        AnomalyLevel.Structural => "structural",
        AnomalyLevel.Component => "component",
        AnomalyLevel.Logical => "logical",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "unknown anomaly level"),
    };
}
