using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using AnomalyMoE.Model;

namespace AnomalyMoE.Training.Switches;

/// <summary>
/// Whether two runs train the same weights, so that one's checkpoint serves the other: every identity switch and the
/// iteration count agree, except the switches that only change how a trained model is scored — the level fusion and its
/// temperature, the test-time groups, the scoring when no normals are held out for it, the component map, and the global
/// map unless one of the two is <see cref="GlobalMapKind.LayoutError"/> (whose loss is computed on the layout).
/// </summary>
public static class TrainingIdentity
{
    /// <summary>Null when <paramref name="a"/> and <paramref name="b"/> train alike; otherwise what differs, as <see cref="RunSwitches.IdentityDifferences"/> words it.</summary>
    public static string? TrainingDifferences(TrainingRunConfig a, TrainingRunConfig b)
    {
        if (a.Method != b.Method) return $"method: {a.Method} vs {b.Method}";
        var (pa, pb) = (a.ResolvePreset(), b.ResolvePreset());
        var settings = new TrainingSettings();
        var (iterationsA, iterationsB) = (RunSwitches.Iterations.Effective(new TrainingRun(a, settings), pa), RunSwitches.Iterations.Effective(new TrainingRun(b, settings), pb));
        if (iterationsA != iterationsB) return $"{RunSwitches.Iterations.Spelling}: {iterationsA} vs {iterationsB}";
        var (holdoutA, holdoutB) = (TrainingHoldout(pa), TrainingHoldout(pb));
        if (holdoutA != holdoutB) return $"{RunSwitches.Holdout.Spelling}: {holdoutA} vs {holdoutB} of the training normals held out";
        return RunSwitches.IdentityDifferences(new TrainingRun(ScoringOnlyAligned(a, pa), settings), new TrainingRun(ScoringOnlyAligned(b, pb), settings));
    }

    /// <summary>The share of training normals that training leaves out (the hold-out counts only under calibrated scoring).</summary>
    static double TrainingHoldout(TrainingPreset preset) => preset.Scoring == ScoringMode.Calibrated ? preset.CalibrationHoldout : 0;

    /// <summary>The configuration with the scoring-only switches set to one value each, so they drop out of the comparison.</summary>
    static TrainingRunConfig ScoringOnlyAligned(TrainingRunConfig config, TrainingPreset resolved) => config with
    {
        LevelFusion = LevelFusionRule.Sum,
        FusionTemperature = LevelFusion.DefaultTemperature,
        TestGroups = TestTimeGroups.TrainingGroups,
        Scoring = ScoringMode.SetMinMax,
        CalibrationHoldout = 0,
        GlobalMap = resolved.Model.Global.Map == GlobalMapKind.LayoutError ? GlobalMapKind.LayoutError : GlobalMapKind.StudentDiscrepancy,
        ComponentMap = ComponentMapKind.Reconstruction,
    };
}
