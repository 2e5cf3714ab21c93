using System.Globalization;
using AnomalyMoE.Routing;

namespace AnomalyMoE.Training;

/// <summary>
/// One ablation setting: the switches a grid point changes (null = the preset's). Its <see cref="Name"/> names the point's
/// run folder and its <see cref="GridPoint"/> is the point in <c>amoe ablate --grid</c> syntax, so the command line and the
/// notebooks agree on both.
/// </summary>
public sealed record AblationPoint(bool? Eir, bool? Esb, string? Levels, int? TopK, RoutingScope? Routing = null, GradientClipScope? Clipping = null,
    UnselectedExpertUpdate? Unselected = null)
{
    /// <summary>Whether no switch changes.</summary>
    public bool IsDefault => Eir is null && Esb is null && Levels is null && TopK is null && Routing is null && Clipping is null && Unselected is null;

    /// <summary>The run folder's name, e.g. <c>levels-p_topk-1_eir-off</c>; <c>default</c> when no switch changes.</summary>
    public string Name => IsDefault ? "default" : string.Join('_', Parts('-'));

    /// <summary>The point as a grid string, e.g. <c>levels=p;topk=1;eir=off</c>; null when no switch changes.</summary>
    public string? GridPoint => IsDefault ? null : string.Join(';', Parts('='));

    /// <summary><c>all-experts</c> or <c>per-level</c>, as the command line spells a routing scope.</summary>
    public static string RoutingName(RoutingScope scope) => scope == RoutingScope.PerLevel ? "per-level" : "all-experts";

    /// <summary>The run configuration with this point's switches applied.</summary>
    public TrainingRunConfig Apply(TrainingRunConfig config) => config with
    {
        Levels = Levels ?? config.Levels,
        TopK = TopK ?? config.TopK,
        Routing = Routing ?? config.Routing,
        Clipping = Clipping ?? config.Clipping,
        UnselectedExperts = Unselected ?? config.UnselectedExperts,
        UseEir = Eir ?? config.UseEir,
        UseEsb = Esb ?? config.UseEsb,
    };

    IEnumerable<string> Parts(char separator)
    {
        if (Levels is not null) yield return $"levels{separator}{Levels}";
        if (TopK is { } k) yield return $"topk{separator}{k.ToString(CultureInfo.InvariantCulture)}";
        if (Routing is { } r) yield return $"routing{separator}{RoutingName(r)}";
        if (Clipping is { } c) yield return $"clip{separator}{GradientClipping.Name(c)}";
        if (Unselected is { } u) yield return $"unselected{separator}{UnselectedExperts.Name(u)}";
        if (Eir is { } eir) yield return $"eir{separator}{(eir ? "on" : "off")}";
        if (Esb is { } esb) yield return $"esb{separator}{(esb ? "on" : "off")}";
    }
}
