using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Maps;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Engine;

/// <summary>
/// A detector that scores through its level maps (<see cref="SetScoring"/>): predicting a set and calibrating a category
/// on its normals differ only in whose level maps they take, so a detector supplies just those maps.
/// </summary>
public abstract class LevelMapDetector(RunCalibration? calibration) : IAnomalyDetector
{
    /// <summary>Each category's calibration, fitted when a run is first evaluated (<see cref="Detectors.Open"/>).</summary>
    protected RunCalibration Calibration { get; } = calibration ?? RunCalibration.Empty();

    public abstract string Method { get; }
    public abstract IReadOnlyList<string> ExpertNames { get; }
    public abstract DetectorSettings Settings { get; }

    /// <summary>The raw level maps of <paramref name="records"/> (all of one category, at least one) and per image its selected experts.</summary>
    protected abstract LevelPredictions PredictLevels(IReadOnlyList<ImageRecord> records, IProgress<ProgressUpdate>? progress, CancellationToken cancellationToken);

    public SetPredictions Predict(IReadOnlyList<ImageRecord> records, IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        if (records.Count == 0) throw new AnomalyMoEException("No images to evaluate.");
        using var levels = PredictLevels(records, progress, cancellationToken);
        var category = Calibration.Categories.GetValueOrDefault(records[0].CategoryKey);
        return SetScoring.Score(records, levels.Levels, levels.Selected, Settings, category);
    }

    public CategoryCalibration Calibrate(IReadOnlyList<ImageRecord> normals, IProgress<ProgressUpdate>? progress = null)
    {
        if (normals.Count == 0) throw new AnomalyMoEException("Calibration needs at least one normal image.");
        using var levels = PredictLevels(normals, progress, CancellationToken.None);
        return SetScoring.Calibrate(levels.Levels, Settings);
    }

    public abstract void Dispose();
}
