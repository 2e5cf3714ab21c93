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
/// the same points as independent tasks instead (<see cref="AblationPlan"/>). A point that trains exactly as a finished
/// point beside it (<see cref="TrainingIdentity"/>: it changes only how the model is scored) takes that point's checkpoint
/// instead of training again.
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
        else
        {
            if (!File.Exists(run.LastCheckpointPath) && TrainedAlike(run, config) is { } source) AdoptCheckpoint(source, run, config);
            training = AnomalyMoETrainer.Train(run, config, settings with { Resume = true }, progress, cancellationToken);
        }
        using var detector = Detectors.Open(run, categories, settings.Device, progress, settings.Precision);
        var report = DetectorEvaluation.Evaluate(detector, categories, run.ReportsDirectory, overlays, progress, cancellationToken);
        return new AblationOutcome(name, run, training, report);
    }

    /// <summary>A finished run beside <paramref name="run"/> (same parent folder) that trains as <paramref name="config"/> does; null when none.</summary>
    public static RunDirectory? TrainedAlike(RunDirectory run, TrainingRunConfig config)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(run.Root));
        if (parent is null || !Directory.Exists(parent)) return null;
        var iterations = config.ResolvePreset().Iterations;
        foreach (var folder in Directory.GetDirectories(parent).Order(StringComparer.Ordinal))
        {
            var candidate = new RunDirectory(folder);
            if (Path.GetFullPath(folder) == Path.GetFullPath(run.Root) || !File.Exists(candidate.ConfigPath) || !File.Exists(candidate.LastCheckpointPath)) continue;
            TrainingRunConfig saved;
            try { saved = candidate.ReadConfig(); }
            catch (AnomalyMoEException) { continue; }   // another kind of folder: not a source
            if (TrainingIdentity.TrainingDifferences(saved, config) is not null) continue;
            using var checkpoint = TrainingCheckpoint.Load(candidate.LastCheckpointPath);
            if (checkpoint.Iteration == iterations) return candidate;
        }
        return null;
    }

    /// <summary>
    /// Starts <paramref name="run"/> as <paramref name="config"/> from <paramref name="source"/>'s finished checkpoint: the weights,
    /// optimiser states and loss log are the source's, the checkpoint's configuration is this run's (so resuming it is
    /// checked against this run), and the component segmenters are copied rather than fitted again.
    /// </summary>
    static void AdoptCheckpoint(RunDirectory source, RunDirectory run, TrainingRunConfig config)
    {
        run.Create();
        run.WriteConfig(config);
        using (var checkpoint = TrainingCheckpoint.Load(source.LastCheckpointPath))
        {
            checkpoint.Texts["config"] = config.ToJson();
            checkpoint.Texts["adopted_from"] = Path.GetFullPath(source.Root);
            checkpoint.Save(run.LastCheckpointPath);
        }
        if (File.Exists(source.LossLogPath)) File.Copy(source.LossLogPath, run.LossLogPath, overwrite: true);
        if (Directory.Exists(source.ComponentCacheDirectory))
            foreach (var file in Directory.GetFiles(source.ComponentCacheDirectory))
            {
                // A segmenter already there (a notebook variant starts with its study's) is the same fit.
                var target = Path.Combine(run.ComponentCacheDirectory, Path.GetFileName(file));
                if (!File.Exists(target)) File.Copy(file, target);
            }
    }
}
