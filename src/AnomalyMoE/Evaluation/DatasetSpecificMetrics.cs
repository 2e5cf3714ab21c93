namespace AnomalyMoE.Evaluation;

/// <summary>
/// The benchmark-specific metrics of one category, beside its common <see cref="CategoryMetrics"/>. Only the values of
/// <see cref="Kind"/> apply (<see cref="KeysOf"/>); a value that applies but cannot be computed (e.g. no logical
/// anomalies in the test set) is null, never NaN or zero.
/// </summary>
/// <param name="AucSpro">MVTec LOCO: AUC-sPRO up to FPR 0.05 over all test images (<see cref="LocoSpro"/>).</param>
/// <param name="ImageAurocLogical">MVTec LOCO: image AUROC of the good test images against the logical anomalies.</param>
/// <param name="ImageAurocStructural">MVTec LOCO: image AUROC of the good test images against the structural anomalies.</param>
/// <param name="FrameAuroc">UCSD Ped2: frame-level AUROC pooled over all test frames (<see cref="FrameLevelAuroc"/>).</param>
/// <param name="Aupro03">MVTec 3D-AD: AUPRO up to FPR 0.3 (<see cref="Mvtec3dAupro"/>).</param>
/// <param name="Aupro001">MVTec 3D-AD: AUPRO up to FPR 0.01.</param>
public sealed record DatasetSpecificMetrics(
    DatasetMetricsKind Kind,
    double? AucSpro = null,
    double? ImageAurocLogical = null,
    double? ImageAurocStructural = null,
    double? FrameAuroc = null,
    double? Aupro03 = null,
    double? Aupro001 = null)
{
    // Report keys (metrics.json, metrics.csv); fixed, documented in docs/engine.md.
    public const string AucSproKey = "auc_spro_0.05";
    public const string ImageAurocLogicalKey = "image_auroc_logical";
    public const string ImageAurocStructuralKey = "image_auroc_structural";
    public const string FrameAurocKey = "frame_auroc";
    public const string Aupro03Key = "aupro_0.3";
    public const string Aupro001Key = "aupro_0.01";

    /// <summary>Every key, in report column order.</summary>
    public static IReadOnlyList<string> AllKeys { get; } =
        [AucSproKey, ImageAurocLogicalKey, ImageAurocStructuralKey, FrameAurocKey, Aupro03Key, Aupro001Key];

    /// <summary>The keys that apply to a kind (none for <see cref="DatasetMetricsKind.Standard"/>).</summary>
    public static IReadOnlyList<string> KeysOf(DatasetMetricsKind kind) => kind switch
    {
        DatasetMetricsKind.MvtecLoco => [AucSproKey, ImageAurocLogicalKey, ImageAurocStructuralKey],
        DatasetMetricsKind.UcsdPed2 => [FrameAurocKey],
        DatasetMetricsKind.Mvtec3d => [Aupro03Key, Aupro001Key],
        _ => [],
    };

    /// <summary>The value of a key (null when it does not apply to <see cref="Kind"/> or could not be computed).</summary>
    public double? this[string key] => KeysOf(Kind).Contains(key)
        ? key switch
        {
            AucSproKey => AucSpro,
            ImageAurocLogicalKey => ImageAurocLogical,
            ImageAurocStructuralKey => ImageAurocStructural,
            FrameAurocKey => FrameAuroc,
            Aupro03Key => Aupro03,
            Aupro001Key => Aupro001,
            _ => throw new ArgumentException($"'{key}' is not a dataset-specific metric key; expected one of {string.Join(", ", AllKeys)}.", nameof(key)),
        }
        : null;

    /// <summary>The applicable keys of <see cref="Kind"/> with their values, in <see cref="AllKeys"/> order.</summary>
    public IReadOnlyList<KeyValuePair<string, double?>> Values => KeysOf(Kind).Select(k => new KeyValuePair<string, double?>(k, this[k])).ToList();

    /// <summary>
    /// Per key, the mean over the categories that have a value for it (as the pixel means are over categories with
    /// masks); keys no category has are absent.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Means(IEnumerable<DatasetSpecificMetrics?> categories)
    {
        var list = categories.OfType<DatasetSpecificMetrics>().ToList();
        var means = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var key in AllKeys)
        {
            var values = list.Select(m => m[key]).OfType<double>().ToList();
            if (values.Count > 0) means[key] = values.Average();
        }
        return means;
    }

    /// <summary>NaN (an undefined metric) as null.</summary>
    internal static double? Defined(double value) => double.IsNaN(value) ? null : value;
}
