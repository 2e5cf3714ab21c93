namespace AnomalyMoE.Data;

/// <summary>Which part of a category's folder an image comes from.</summary>
public enum DatasetSplit { Train, Validation, Test }

/// <summary>
/// The semantic level of an anomaly as the synthetic generator labels it (<c>metadata.csv</c>, column <c>level</c>).
/// The three anomalous levels correspond to the method's three expert groups (patch, component, global).
/// </summary>
public static class AnomalyLevels
{
    public const string None = "none";
    public const string Structural = "structural";
    public const string Component = "component";
    public const string Logical = "logical";

    public static IReadOnlyList<string> All { get; } = [None, Structural, Component, Logical];

    public static bool IsKnown(string level) => All.Contains(level, StringComparer.Ordinal);
}

/// <summary>
/// One image of a dataset.
/// </summary>
/// <param name="Path">Absolute path of the image file.</param>
/// <param name="Dataset">Dataset name: the root folder's name unless the <see cref="DatasetSource"/> gives one.</param>
/// <param name="Category">Category (object or texture) folder name.</param>
/// <param name="Split">Train, validation or test.</param>
/// <param name="DefectType">The defect folder name; <c>good</c> means normal.</param>
/// <param name="MaskPath">Ground-truth mask: a file, or a folder whose images are merged (MVTec LOCO);
/// null for normal images and for categories without pixel annotations.</param>
/// <param name="Level">Anomaly level from <c>metadata.csv</c> (<see cref="AnomalyLevels"/>); null when no metadata covers the image.</param>
public sealed record ImageRecord(
    string Path,
    string Dataset,
    string Category,
    DatasetSplit Split,
    string DefectType,
    string? MaskPath,
    string? Level = null)
{
    /// <summary>The folder name that marks normal images.</summary>
    public const string NormalDefectType = "good";

    public bool IsAnomalous => !string.Equals(DefectType, NormalDefectType, StringComparison.Ordinal);

    /// <summary>Image-level label: 0 normal, 1 anomalous.</summary>
    public int Label => IsAnomalous ? 1 : 0;

    /// <summary>The key of the image's category, <c>dataset/category</c>, as <see cref="CategoryInfo.Key"/> gives it.</summary>
    public string CategoryKey => CategoryInfo.KeyOf(Dataset, Category);
}
