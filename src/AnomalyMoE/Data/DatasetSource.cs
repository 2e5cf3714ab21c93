using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data;

/// <summary>
/// One dataset root in the MVTec AD layout and which of its categories to read.
/// Several sources are read together for unified multi-dataset training (the method's setting).
/// </summary>
/// <param name="Root">Folder holding one sub-folder per category.</param>
/// <param name="Name">Dataset name carried by every record; the root folder's name when null.</param>
/// <param name="Categories">Category folder names to read; every category found under the root when null or empty.</param>
public sealed record DatasetSource(string Root, string? Name = null, IReadOnlyList<string>? Categories = null)
{
    /// <summary>The name records carry: <see cref="Name"/>, or the root folder's name.</summary>
    public string DatasetName => !string.IsNullOrWhiteSpace(Name)
        ? Name
        : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(Root)));

    public DatasetSource Validate()
    {
        if (string.IsNullOrWhiteSpace(Root)) throw new AnomalyMoEException("DatasetSource.Root is empty: give the folder that holds the category folders.");
        if (Name is not null && string.IsNullOrWhiteSpace(Name)) throw new AnomalyMoEException($"DatasetSource.Name for '{Root}' is blank: give a name or leave it null.");
        if (Categories is not null)
        {
            foreach (var c in Categories)
            {
                if (string.IsNullOrWhiteSpace(c) || c.IndexOfAny(['/', '\\']) >= 0)
                    throw new AnomalyMoEException($"DatasetSource.Categories for '{Root}' holds '{c}', which is not a category folder name.");
            }
        }
        return this;
    }
}

/// <summary>How strictly the reader checks the files it lists.</summary>
/// <param name="VerifyImages">Read every image's and mask's header (not its pixels) to catch unreadable files
/// and mask sizes that differ from their image's before any work starts.</param>
/// <param name="SkipUnreadableImages">Leave out unreadable or corrupt images (counted in
/// <see cref="DatasetCatalog.SkippedFiles"/>) instead of stopping with an error.</param>
/// <param name="ReadMetadata">Fill <see cref="ImageRecord.Level"/> from a <c>metadata.csv</c> in the root or its parent.</param>
public sealed record DatasetReadOptions(bool VerifyImages = true, bool SkipUnreadableImages = false, bool ReadMetadata = true)
{
    public static DatasetReadOptions Default { get; } = new();

    /// <summary>Skips unreadable images instead of failing.</summary>
    public static DatasetReadOptions Lenient { get; } = new(SkipUnreadableImages: true);
}
