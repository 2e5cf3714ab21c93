namespace AnomalyMoE.Data;

/// <summary>
/// Everything a read found: the categories (with their images) in source order, the files left out
/// because they could not be read (only with <see cref="DatasetReadOptions.SkipUnreadableImages"/>), and the warnings.
/// </summary>
public sealed record DatasetCatalog(IReadOnlyList<CategoryInfo> Categories, IReadOnlyList<string> SkippedFiles, IReadOnlyList<string> Warnings)
{
    public IEnumerable<ImageRecord> Records => Categories.SelectMany(c => c.Records);

    /// <summary>All images of one split across every category, in catalog order.</summary>
    public IReadOnlyList<ImageRecord> Split(DatasetSplit split) => Records.Where(r => r.Split == split).ToList();

    public int SkippedCount => SkippedFiles.Count;

    /// <summary>The category with this dataset and category name; throws naming the available ones.</summary>
    public CategoryInfo Category(string dataset, string category) =>
        Categories.FirstOrDefault(c => c.Dataset == dataset && c.Category == category)
        ?? throw new KeyNotFoundException($"No category '{dataset}/{category}' was read; available: {string.Join(", ", Categories.Select(c => c.Key))}.");
}
