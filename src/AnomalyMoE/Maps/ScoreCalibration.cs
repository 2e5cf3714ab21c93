using System.Text.Json;
using System.Text.Json.Serialization;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Maps;

/// <summary>How level maps become comparable before they are fused.</summary>
public enum ScoringMode
{
    /// <summary>
    /// Each level min-max normalised over the evaluated set (reference test.py). A score then depends on which other
    /// images are in the set, and one image alone is normalised against itself.
    /// </summary>
    SetMinMax,

    /// <summary>
    /// Each level standardised by its score statistics on normal training images of the category, stored in the run: an
    /// image's score is the same alone or in any set, and a stored threshold turns it into a decision.
    /// </summary>
    Calibrated,
}

/// <summary>How calibrated level maps are combined.</summary>
public enum LevelFusionRule
{
    /// <summary>The sum of the standardised levels (the reference's rule, on calibrated maps).</summary>
    Sum,

    /// <summary>
    /// The per-pixel maximum of the standardised levels: a level that sees nothing stays at its normal range and cannot
    /// drown a level that fires.
    /// </summary>
    Max,

    /// <summary>
    /// The per-pixel soft maximum T·log Σ exp(z/T) of the standardised levels: the maximum when one level fires, and more
    /// than it where several levels see something at once, so the global level's moderate evidence of a logical anomaly is
    /// not lost below a normal image's noisiest level. T (<see cref="LevelFusion.Temperature"/>) runs from the max (T → 0)
    /// towards the sum (large T).
    /// </summary>
    SoftMax,
}

/// <summary>A rule of combining calibrated levels, with the soft maximum's temperature (used only by <see cref="LevelFusionRule.SoftMax"/>).</summary>
public sealed record LevelFusion(LevelFusionRule Rule, double Temperature = LevelFusion.DefaultTemperature)
{
    /// <summary>The cpu presets' temperature, measured against T = 1, 2 and 4, the max and the sum (docs/engine.md, Scoring).</summary>
    public const double DefaultTemperature = 3;

    public static LevelFusion Sum { get; } = new(LevelFusionRule.Sum);

    public static LevelFusion Max { get; } = new(LevelFusionRule.Max);

    public static LevelFusion SoftMax { get; } = new(LevelFusionRule.SoftMax);

    public LevelFusion Validate() => Temperature > 0 && double.IsFinite(Temperature)
        ? this : throw new AnomalyMoEException($"The level fusion's temperature must be a positive number; got {Temperature}.");
}

/// <summary>A level's image-score statistics on normal images: mean and standard deviation.</summary>
public sealed record LevelStatistics(double Mean, double Std);

/// <summary>
/// One category's calibration: per level the statistics of that level's image score (its map alone through resize, blur and
/// top-fraction mean) on normal images, and the image-score threshold above which an image is called anomalous.
/// </summary>
/// <param name="Levels">Statistics per level name (<see cref="Evaluation.ExpertLevels"/> names, or <c>patchcore</c>).</param>
/// <param name="Threshold">Fused calibrated score above which an image is anomalous: mean + <see cref="ScoreCalibration.ThresholdSigmas"/>·std of the normal images' fused scores.</param>
/// <param name="Images">How many normal images the statistics come from.</param>
public sealed record CategoryCalibration(IReadOnlyDictionary<string, LevelStatistics> Levels, double Threshold, int Images);

/// <summary>
/// Calibrated, set-independent scoring (in the manner of anomalib's post-processor): statistics of each level on normal
/// images, standardised level maps, a sum or a max of them, and an image threshold from the normal images' fused scores.
/// </summary>
public static class ScoreCalibration
{
    /// <summary>The threshold sits this many standard deviations above the normal images' mean fused score.</summary>
    public const double ThresholdSigmas = 3.0;

    /// <summary>Smallest standard deviation used, so a level that is constant on normal images does not divide by zero.</summary>
    public const double MinimumStd = 1e-6;

    /// <summary>A level's image scores: its raw map <c>[N,1,H,W]</c> alone through resize, blur and top-fraction mean, <c>[N]</c>.</summary>
    public static Tensor LevelScores(Tensor map, MapFusionOptions options)
    {
        using var scope = NewDisposeScope();
        var resized = functional.interpolate(map, [options.ResizeTo, options.ResizeTo], mode: InterpolationMode.Bilinear, align_corners: false);
        var smoothed = MapFusion.GaussianBlur(resized, options.GaussianKernelSize, options.GaussianSigma);
        return MapFusion.TopFractionMean(smoothed, options.TopFraction).MoveToOuterDisposeScope();
    }

    /// <summary>Mean and standard deviation (unbiased, floored at <see cref="MinimumStd"/>) of scores <c>[N]</c>.</summary>
    public static LevelStatistics Statistics(Tensor scores)
    {
        using var scope = NewDisposeScope();
        var values = scores.to_type(ScalarType.Float64);
        var std = values.shape[0] > 1 ? values.std().item<double>() : 0;
        return new LevelStatistics(values.mean().item<double>(), Math.Max(std, MinimumStd));
    }

    /// <summary>(map − mean) / std of a level.</summary>
    public static Tensor Standardize(Tensor map, LevelStatistics statistics) => (map - statistics.Mean) / statistics.Std;

    /// <summary>The threshold of a category from its normal images' fused calibrated scores <c>[N]</c>.</summary>
    public static double Threshold(Tensor fusedNormalScores)
    {
        var s = Statistics(fusedNormalScores);
        return s.Mean + ThresholdSigmas * s.Std;
    }
}

/// <summary>
/// Every category's calibration of a run (<c>calibration.json</c> in the run folder), written atomically; a category the
/// file lacks is fitted when a detector first needs it.
/// </summary>
public sealed class RunCalibration
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    readonly Dictionary<string, CategoryCalibration> categories;

    RunCalibration(Dictionary<string, CategoryCalibration> categories) => this.categories = categories;

    /// <summary>Calibrations by category key (<c>dataset/category</c>).</summary>
    public IReadOnlyDictionary<string, CategoryCalibration> Categories => categories;

    /// <summary>An empty calibration.</summary>
    public static RunCalibration Empty() => new(new Dictionary<string, CategoryCalibration>(StringComparer.Ordinal));

    /// <summary>Reads <paramref name="path"/>, or an empty calibration when it does not exist; the error names a damaged file.</summary>
    public static RunCalibration Load(string path)
    {
        if (!File.Exists(path)) return Empty();
        try
        {
            var read = JsonSerializer.Deserialize<Dictionary<string, CategoryCalibration>>(File.ReadAllText(path), Json)
                ?? throw new AnomalyMoEException($"'{path}' holds no calibration.");
            return new RunCalibration(new Dictionary<string, CategoryCalibration>(read, StringComparer.Ordinal));
        }
        catch (JsonException e)
        {
            throw new AnomalyMoEException($"'{path}' is not a valid calibration file ({e.Message}); delete it to fit it again.", e);
        }
    }

    /// <summary>Adds or replaces a category's calibration.</summary>
    public void Set(string category, CategoryCalibration calibration) => categories[category] = calibration;

    /// <summary>Writes the file atomically.</summary>
    public void Save(string path) => AtomicFile.WriteText(path, JsonSerializer.Serialize(categories, Json));
}
