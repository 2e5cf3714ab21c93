using AnomalyMoE.Data;
using AnomalyMoE.Maps;
using AnomalyMoE.Runtime;
using static TorchSharp.torch;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// What evaluation reads of the preset a detector runs: its name (for reports), its image transform (ground-truth masks
/// and overlays follow it to map resolution) and how level maps are scored (<see cref="SetScoring"/>). Evaluation takes
/// these, not the preset, so it does not depend on training.
/// </summary>
public sealed record DetectorSettings(string Preset, ImageTransformOptions Transform, ScoringMode Scoring, LevelFusion LevelFusion)
{
    /// <summary>The switches that define the run, keyed as config.json keys them and resolved against its preset: what was evaluated (metrics.json's <c>switches</c>).</summary>
    public IReadOnlyDictionary<string, string> Switches { get; init; } = new Dictionary<string, string>();

    /// <summary>What a switch could not do for some category and what was done instead, one line each (report.md, metrics.json's <c>notes</c>).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>
/// What a detector produced for one evaluated set (a category, or a list of images): fused and smoothed maps
/// <c>[N,1,R,R]</c> on the CPU, image scores, per image which experts the router selected (empty for the baseline), and
/// the image scores each expert level gives when its map alone goes through the fusion (empty for the baseline).
/// </summary>
public sealed class SetPredictions(IReadOnlyList<ImageRecord> records, Tensor maps, float[] scores, float[][] routingMask,
    IReadOnlyDictionary<string, float[]>? expertLevelScores = null, double? threshold = null) : IDisposable
{
    /// <summary>The category's calibrated image threshold (null under set min-max scoring, which has none).</summary>
    public double? Threshold { get; } = threshold;

    /// <summary>Per image whether its score is above <see cref="Threshold"/>; null without a threshold.</summary>
    public bool[]? Anomalous => Threshold is { } t ? Scores.Select(s => s > t).ToArray() : null;

    public IReadOnlyList<ImageRecord> Records { get; } = records;
    public Tensor Maps { get; } = maps;
    public float[] Scores { get; } = scores;
    public float[][] RoutingMask { get; } = routingMask;

    /// <summary>Per expert level present (<see cref="ExpertLevels"/>), the image scores of that level's map fused alone.</summary>
    public IReadOnlyDictionary<string, float[]> ExpertLevelScores { get; } = expertLevelScores ?? new Dictionary<string, float[]>();

    public void Dispose() => Maps.Dispose();
}

/// <summary>A trained detector that maps a set of images to anomaly maps and scores.</summary>
public interface IAnomalyDetector : IDisposable
{
    /// <summary><c>anomalymoe</c> or <c>patchcore</c>.</summary>
    string Method { get; }

    /// <summary>Expert names in routing order (<c>patch_0</c>, …); empty for detectors without experts.</summary>
    IReadOnlyList<string> ExpertNames { get; }

    /// <summary>What evaluating it reads of the preset it runs.</summary>
    DetectorSettings Settings { get; }

    /// <summary>
    /// Maps and scores of <paramref name="records"/> (all of one category): normalised over this set, or calibrated and
    /// independent of it, as <see cref="DetectorSettings.Scoring"/> says.
    /// </summary>
    SetPredictions Predict(IReadOnlyList<ImageRecord> records, IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Fits a category's calibration on its normal <paramref name="normals"/> (<see cref="CalibrationHoldout.CalibrationNormals"/>).</summary>
    CategoryCalibration Calibrate(IReadOnlyList<ImageRecord> normals, IProgress<ProgressUpdate>? progress = null);
}
