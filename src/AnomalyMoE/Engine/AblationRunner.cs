using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;

namespace AnomalyMoE.Engine;

/// <summary>One run of an ablation, trained and evaluated: its training (null for PatchCore) and its report.</summary>
public sealed record AblationOutcome(string Name, RunDirectory Run, TrainingResult? Training, EvaluationReport Report);

/// <summary>
/// Runs an ablation's points one after another, as <c>amoe ablate --out</c> and notebook 06 both do: each point of a base
/// configuration in its own folder named as the point (<see cref="AblationPoint.Name"/>), trained, or resumed where the
/// folder holds part of it, then evaluated by the engine; the PatchCore baseline goes to <c>patchcore</c>. A cluster runs
/// the same points as independent tasks instead (<see cref="AblationPlan"/>).
/// </summary>
public static class AblationRunner
{
    /// <summary>The baseline's run folder name under an ablation folder.</summary>
    public const string BaselineName = "patchcore";

    /// <summary>The ablation's runs: each point applied to <paramref name="baseConfig"/>, then the PatchCore baseline when asked for.</summary>
    public static IReadOnlyList<(string Name, TrainingRunConfig Config)> Runs(TrainingRunConfig baseConfig, IReadOnlyList<AblationPoint> points, bool baseline)
    {
        var runs = points.Select(p => (p.Name, p.Apply(baseConfig))).ToList();
        if (baseline) runs.Add((BaselineName, baseConfig with { Method = DetectionMethod.PatchCore }));
        return runs;
    }

    /// <summary>
    /// Trains (resuming) and evaluates one run in <paramref name="run"/> on <paramref name="categories"/>, writing its
    /// reports to the run's <c>reports/</c> with <paramref name="overlays"/> overlays per side.
    /// </summary>
    public static AblationOutcome Run(string name, RunDirectory run, TrainingRunConfig config, TrainingSettings settings, IReadOnlyList<CategoryInfo> categories,
        int overlays = 0, IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        TrainingResult? training = null;
        if (config.Method == DetectionMethod.PatchCore) PatchCoreTrainer.Train(run, config, settings.Device, progress, settings.Precision);
        else training = AnomalyMoETrainer.Train(run, config, settings with { Resume = true }, progress, cancellationToken);
        using var detector = Detectors.Open(run, categories, settings.Device, progress, settings.Precision);
        var report = DetectorEvaluation.Evaluate(detector, categories, run.ReportsDirectory, overlays, progress, cancellationToken);
        return new AblationOutcome(name, run, training, report);
    }
}
