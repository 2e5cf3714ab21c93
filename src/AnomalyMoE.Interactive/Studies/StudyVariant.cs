using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;

namespace AnomalyMoE.Interactive.Studies;

/// <summary>
/// One ablation setting: an <c>amoe ablate --grid</c> point (any switch of <see cref="RunSwitches.MethodSwitches"/>, e.g.
/// <c>"levels=p;eir=off"</c>; null for the preset's), or another preset (e.g. <c>cpu-small</c> for more experts per level)
/// with no switch changed.
/// </summary>
public sealed record StudyVariant(string Label, string? Grid = null, string? Preset = null)
{
    /// <summary>The run as configured (no switch changed).</summary>
    public static StudyVariant Full { get; } = new("AnomalyMoE (full)");

    /// <summary>
    /// One variant per departure of the preset from the reference, each switching that choice alone back to the <c>paper</c>
    /// preset's (<see cref="AblationGrid.ReferenceChoices"/>), labelled <c>reference: key=value</c>.
    /// </summary>
    public static IReadOnlyList<StudyVariant> ReferenceChoices(string preset) =>
        AblationGrid.ReferenceChoices(new TrainingRunConfig { Preset = TrainingPresets.Get(preset).Name, Data = [] })
            .Select(p => new StudyVariant($"reference: {p.GridPoint}", p.GridPoint)).ToList();

    /// <summary>The ablation switches this variant changes (the same naming as <c>amoe ablate</c>).</summary>
    public AblationPoint Point => Grid is null ? AblationPoint.Default : AblationPoint.Parse(Grid);

    /// <summary>The grid point in <c>amoe ablate --grid</c> syntax, written as <c>amoe ablate</c> writes it; null when no switch changes.</summary>
    public string? GridPoint => Point.GridPoint;

    /// <summary>The run folder's name, as <c>amoe ablate</c> names a grid point's run (or the preset's name).</summary>
    public string FolderName => Point.IsDefault ? Preset ?? "default" : Point.Name;

    /// <summary>The configuration of this variant of <paramref name="config"/>.</summary>
    public TrainingRunConfig Apply(TrainingRunConfig config)
    {
        if (Preset is not null && GridPoint is not null)
            throw new AnomalyMoEException($"Variant '{Label}': a preset variant changes no switch (amoe ablate keeps one preset per grid).");
        return Point.Apply(config) with { Preset = Preset is null ? config.Preset : TrainingPresets.Get(Preset).Name };
    }
}
