namespace AnomalyMoE.Data;

/// <summary>
/// One category of one dataset and all of its images.
/// </summary>
/// <param name="Dataset">Dataset name (see <see cref="ImageRecord.Dataset"/>).</param>
/// <param name="Category">Category folder name.</param>
/// <param name="Folder">Absolute path of the category folder.</param>
/// <param name="HasPixelMasks">False when the category has no <c>ground_truth</c> folder: the dataset is
/// image-level only, and pixel metrics must be reported as not available (never as zero).</param>
/// <param name="Records">Train, then validation, then test images, each in ordinal path order.</param>
public sealed record CategoryInfo(string Dataset, string Category, string Folder, bool HasPixelMasks, IReadOnlyList<ImageRecord> Records)
{
    public IEnumerable<ImageRecord> Train => Records.Where(r => r.Split == DatasetSplit.Train);
    public IEnumerable<ImageRecord> Validation => Records.Where(r => r.Split == DatasetSplit.Validation);
    public IEnumerable<ImageRecord> Test => Records.Where(r => r.Split == DatasetSplit.Test);

    /// <summary><c>dataset/category</c>, the key under which results are reported.</summary>
    public string Key => KeyOf(Dataset, Category);

    /// <summary>The key of a category: <c>dataset/category</c>.</summary>
    public static string KeyOf(string dataset, string category) => $"{dataset}/{category}";
}
