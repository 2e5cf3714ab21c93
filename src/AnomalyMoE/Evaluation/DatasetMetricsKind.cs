using System.Text.Json;
using AnomalyMoE.Data;
using AnomalyMoE.Data.Preparation;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Evaluation;

/// <summary>Which benchmark-specific metrics a category gets on top of the common image and pixel metrics.</summary>
public enum DatasetMetricsKind
{
    /// <summary>Only the common metrics (MVTec AD, VisA, BMAD, synthetic data, anything unrecognised).</summary>
    Standard,

    /// <summary>MVTec LOCO AD: AUC-sPRO up to FPR 0.05 and image AUROC for logical and structural anomalies apart.</summary>
    MvtecLoco,

    /// <summary>UCSD Ped2: frame-level AUROC pooled over all test frames.</summary>
    UcsdPed2,

    /// <summary>MVTec 3D-AD, RGB or depth: AUPRO up to FPR 0.3 and 0.01.</summary>
    Mvtec3d,
}

/// <summary>How a category's <see cref="DatasetMetricsKind"/> was decided.</summary>
public enum DatasetKindSignal
{
    /// <summary>The completion marker <see cref="DatasetPreparer.MarkerFile"/> in the dataset root names the prepared benchmark.</summary>
    PreparationMarker,

    /// <summary>No marker: the category folder holds MVTec LOCO's <c>defects_config.json</c>.</summary>
    LocoDefectsConfig,

    /// <summary>No marker: the dataset root folder has the name the preparation gives that benchmark (<c>mvtec_loco</c>, <c>Ped2</c>, <c>mvtec_ad_3d</c>, <c>mvtec_ad_3d_depth</c>).</summary>
    FolderName,

    /// <summary>No signal matched (or the marker names another benchmark): <see cref="DatasetMetricsKind.Standard"/>.</summary>
    None,
}

/// <summary>
/// Recognises the benchmark a category belongs to. The explicit signal comes first: <c>data-scripts/prepare</c> writes
/// <see cref="DatasetPreparer.MarkerFile"/> into every dataset root it produces, and its <c>dataset</c> field names the
/// benchmark (<c>mvtec-loco</c>, <c>ped2</c>, <c>mvtec-3d</c> for both the RGB and the depth sibling, …). Only without a
/// marker (a dataset laid out by hand) do the fallbacks apply, in this order: a <c>defects_config.json</c> in the
/// category folder (shipped with every MVTec LOCO category and with no other benchmark), then the root folder's name.
/// </summary>
public static class DatasetMetricsKinds
{
    /// <summary>The <see cref="KnownDatasets"/> names whose marker selects a specific kind.</summary>
    public static IReadOnlyDictionary<string, DatasetMetricsKind> ByPreparedDataset { get; } = new Dictionary<string, DatasetMetricsKind>(StringComparer.Ordinal)
    {
        ["mvtec-loco"] = DatasetMetricsKind.MvtecLoco,
        ["ped2"] = DatasetMetricsKind.UcsdPed2,
        ["mvtec-3d"] = DatasetMetricsKind.Mvtec3d,
    };

    /// <summary>The output folder names of the preparation, used only when a root has no marker.</summary>
    public static IReadOnlyDictionary<string, DatasetMetricsKind> ByFolderName { get; } = new Dictionary<string, DatasetMetricsKind>(StringComparer.OrdinalIgnoreCase)
    {
        [MvtecLocoConverter.Folder] = DatasetMetricsKind.MvtecLoco,
        [UcsdPed2Converter.Folder] = DatasetMetricsKind.UcsdPed2,
        [Mvtec3dConverter.RgbFolder] = DatasetMetricsKind.Mvtec3d,
        [Mvtec3dConverter.DepthFolder] = DatasetMetricsKind.Mvtec3d,
    };

    /// <summary>The kind of a category (its dataset root is the category folder's parent).</summary>
    public static DatasetMetricsKind Of(CategoryInfo category) => Recognise(category.Folder).Kind;

    /// <summary>The kind of the category in <paramref name="categoryFolder"/> and the signal that decided it.</summary>
    /// <exception cref="AnomalyMoEException">The root's marker exists but is not readable JSON with a <c>dataset</c> string.</exception>
    public static (DatasetMetricsKind Kind, DatasetKindSignal Signal) Recognise(string categoryFolder)
    {
        var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(categoryFolder));
        var root = Path.GetDirectoryName(folder);
        if (root is not null && PreparedDatasetName(root) is { } prepared)
        {
            return ByPreparedDataset.TryGetValue(prepared, out var fromMarker)
                ? (fromMarker, DatasetKindSignal.PreparationMarker)
                : (DatasetMetricsKind.Standard, DatasetKindSignal.PreparationMarker);
        }
        if (File.Exists(Path.Combine(folder, MvtecLocoConverter.DefectsConfigFile)))
            return (DatasetMetricsKind.MvtecLoco, DatasetKindSignal.LocoDefectsConfig);
        if (root is not null && ByFolderName.TryGetValue(Path.GetFileName(root), out var fromName))
            return (fromName, DatasetKindSignal.FolderName);
        return (DatasetMetricsKind.Standard, DatasetKindSignal.None);
    }

    /// <summary>The <c>dataset</c> field of a root's completion marker; null when the root has no marker.</summary>
    public static string? PreparedDatasetName(string datasetRoot)
    {
        var marker = Path.Combine(datasetRoot, DatasetPreparer.MarkerFile);
        if (!File.Exists(marker)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(marker));
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("dataset", out var name) && name.ValueKind == JsonValueKind.String
                && !string.IsNullOrWhiteSpace(name.GetString()))
                return name.GetString()!;
            throw new JsonException("it has no \"dataset\" string");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new AnomalyMoEException(
                $"The preparation marker {marker} cannot be read ({e.Message}); it names the benchmark for its dataset-specific metrics. "
                + "Prepare the dataset again, or delete the marker to fall back to the folder name.", e);
        }
    }
}
