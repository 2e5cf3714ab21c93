using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data;

/// <summary>
/// Reads datasets in the MVTec AD folder layout:
/// <code>
/// &lt;root&gt;/&lt;category&gt;/train/good/*            normal training images (required, not empty)
/// &lt;root&gt;/&lt;category&gt;/validation/good/*       optional
/// &lt;root&gt;/&lt;category&gt;/test/&lt;defect&gt;/*          good = normal, any other folder = anomalous
/// &lt;root&gt;/&lt;category&gt;/ground_truth/&lt;defect&gt;/&lt;stem&gt;_mask.png or &lt;stem&gt;.png   (or a folder &lt;stem&gt;/ of masks, MVTec LOCO)
/// </code>
/// Masks are matched to test images by file stem, never by sort order. A category without a
/// <c>ground_truth</c> folder is image-level only (<see cref="CategoryInfo.HasPixelMasks"/> false).
/// Errors name the file or folder; non-image files are ignored.
/// </summary>
public static class MvtecDatasetReader
{
    public const string TrainFolder = "train";
    public const string ValidationFolder = "validation";
    public const string TestFolder = "test";
    public const string GroundTruthFolder = "ground_truth";
    const string MaskSuffix = "_mask";

    /// <summary>Reads one root (all its categories, or those the source names).</summary>
    public static DatasetCatalog Read(DatasetSource source, DatasetReadOptions? options = null, Action<string>? warn = null) =>
        Read([source], options, warn);

    /// <summary>
    /// Reads several roots together. Warnings (mask sizes that differ from their image's) go to
    /// <paramref name="warn"/> as they are found and into <see cref="DatasetCatalog.Warnings"/>.
    /// </summary>
    public static DatasetCatalog Read(IEnumerable<DatasetSource> sources, DatasetReadOptions? options = null, Action<string>? warn = null)
    {
        options ??= DatasetReadOptions.Default;
        var state = new ReadState(options, warn);
        var categories = new List<CategoryInfo>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            source.Validate();
            var root = Path.GetFullPath(source.Root);
            if (!Directory.Exists(root)) throw new AnomalyMoEException($"Dataset root folder not found: {root}");
            var metadata = options.ReadMetadata ? DatasetMetadata.FindFor(root) : null;
            var available = DiscoverCategories(root);
            IReadOnlyList<string> chosen;
            if (source.Categories is { Count: > 0 } names)
            {
                foreach (var name in names)
                {
                    if (!available.Contains(name, StringComparer.Ordinal))
                        throw new AnomalyMoEException(
                            $"Category '{name}' not found under {root}; available: {(available.Count == 0 ? "none" : string.Join(", ", available))}.");
                }
                chosen = names;
            }
            else
            {
                if (available.Count == 0)
                    throw new AnomalyMoEException($"No categories found under {root}: expected folders like {root}/<category>/train/good.");
                chosen = available;
            }
            var dataset = source.DatasetName;
            foreach (var name in chosen)
            {
                if (!seen.Add(dataset + "/" + name))
                    throw new AnomalyMoEException($"Category '{dataset}/{name}' is read twice: give the sources distinct dataset names.");
                categories.Add(ReadCategory(dataset, Path.Combine(root, name), metadata, state));
            }
        }
        return new DatasetCatalog(categories, state.Skipped, state.Warnings);
    }

    /// <summary>The category folders of a root (those holding a <c>train</c> or <c>test</c> folder), in ordinal order.</summary>
    public static IReadOnlyList<string> DiscoverCategories(string root)
    {
        if (!Directory.Exists(root)) throw new AnomalyMoEException($"Dataset root folder not found: {Path.GetFullPath(root)}");
        var names = Directory.EnumerateDirectories(root)
            .Where(d => Directory.Exists(Path.Combine(d, TrainFolder)) || Directory.Exists(Path.Combine(d, TestFolder)))
            .Select(d => Path.GetFileName(d)!)
            .Where(n => !n.StartsWith('.'))
            .ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    sealed class ReadState(DatasetReadOptions options, Action<string>? warn)
    {
        public DatasetReadOptions Options { get; } = options;
        public List<string> Skipped { get; } = [];
        public List<string> Warnings { get; } = [];

        public void Warn(string message)
        {
            Warnings.Add(message);
            warn?.Invoke(message);
        }
    }

    static CategoryInfo ReadCategory(string dataset, string folder, DatasetMetadata? metadata, ReadState state)
    {
        var category = Path.GetFileName(folder);
        if (!Directory.Exists(folder)) throw new AnomalyMoEException($"Category folder not found: {folder}");
        var records = new List<ImageRecord>();

        var trainGood = Path.Combine(folder, TrainFolder, ImageRecord.NormalDefectType);
        if (!Directory.Exists(trainGood)) throw new AnomalyMoEException($"Training folder not found: {trainGood} (every category needs normal training images there).");
        foreach (var path in ImageFiles.List(trainGood))
            AddIfReadable(records, new ImageRecord(path, dataset, category, DatasetSplit.Train, ImageRecord.NormalDefectType, null, metadata?.LevelOf(path)), state);
        if (!records.Any(r => r.Split == DatasetSplit.Train))
            throw new AnomalyMoEException($"Training folder {trainGood} holds no readable images (PNG, JPEG or BMP).");

        var validationGood = Path.Combine(folder, ValidationFolder, ImageRecord.NormalDefectType);
        foreach (var path in ImageFiles.List(validationGood))
            AddIfReadable(records, new ImageRecord(path, dataset, category, DatasetSplit.Validation, ImageRecord.NormalDefectType, null, metadata?.LevelOf(path)), state);

        var test = Path.Combine(folder, TestFolder);
        if (!Directory.Exists(test)) throw new AnomalyMoEException($"Test folder not found: {test} (expected {test}/good and one folder per defect type).");
        var groundTruth = Path.Combine(folder, GroundTruthFolder);
        bool hasMasks = Directory.Exists(groundTruth);
        var defects = Directory.EnumerateDirectories(test).Select(d => Path.GetFileName(d)!).Where(n => !n.StartsWith('.')).ToList();
        defects.Sort(StringComparer.Ordinal);
        foreach (var defect in defects)
        {
            bool normal = defect == ImageRecord.NormalDefectType;
            var masks = normal || !hasMasks ? null : MaskIndex.Of(Path.Combine(groundTruth, defect));
            foreach (var path in ImageFiles.List(Path.Combine(test, defect)))
            {
                string? mask = null;
                if (masks is not null)
                {
                    mask = masks.Find(Path.GetFileNameWithoutExtension(path))
                           ?? throw new AnomalyMoEException(
                               $"Anomalous test image {path} has no ground-truth mask: expected {Path.Combine(groundTruth, defect, Path.GetFileNameWithoutExtension(path))}{MaskSuffix}.png "
                               + $"or {Path.Combine(groundTruth, defect, Path.GetFileNameWithoutExtension(path))}.png (matched by file stem). "
                               + "Remove the ground_truth folder to treat the category as image-level only.");
                }
                AddIfReadable(records, new ImageRecord(path, dataset, category, DatasetSplit.Test, defect, mask, metadata?.LevelOf(path)), state);
            }
        }
        return new CategoryInfo(dataset, category, Path.GetFullPath(folder), hasMasks, records);
    }

    static void AddIfReadable(List<ImageRecord> records, ImageRecord record, ReadState state)
    {
        if (!state.Options.VerifyImages)
        {
            records.Add(record);
            return;
        }
        (int Width, int Height) imageSize;
        try
        {
            imageSize = ImageDecoder.ReadSize(record.Path);
        }
        catch (ImageDecodeException) when (state.Options.SkipUnreadableImages)
        {
            state.Skipped.Add(record.Path);
            return;
        }
        if (record.MaskPath is { } maskPath)
        {
            (int Width, int Height) maskSize;
            try
            {
                maskSize = ImageDecoder.ReadMaskSize(maskPath);
            }
            catch (ImageDecodeException) when (state.Options.SkipUnreadableImages)
            {
                state.Skipped.Add(maskPath);
                return;
            }
            ImageDecoder.RequireMaskSize(maskPath, maskSize, record.Path, imageSize);
        }
        records.Add(record);
    }

    /// <summary>The masks of one <c>ground_truth/&lt;defect&gt;</c> folder keyed by file stem.</summary>
    sealed class MaskIndex
    {
        readonly Dictionary<string, string> byStem = new(StringComparer.Ordinal);

        public static MaskIndex Of(string folder)
        {
            var index = new MaskIndex();
            if (!Directory.Exists(folder)) return index;
            // Extension preference decides between same-stem files (a.png over a.bmp), independent of listing order.
            foreach (var file in ImageFiles.List(folder).OrderBy(f => ExtensionRank(f)).ThenBy(f => f, StringComparer.Ordinal))
                index.byStem.TryAdd(Path.GetFileNameWithoutExtension(file), file);
            foreach (var sub in Directory.EnumerateDirectories(folder))
                index.byStem.TryAdd(Path.GetFileName(sub) + "/", Path.GetFullPath(sub));
            return index;
        }

        static int ExtensionRank(string file)
        {
            var ext = Path.GetExtension(file).ToLowerInvariant();
            for (int i = 0; i < ImageFiles.Extensions.Count; i++) if (ImageFiles.Extensions[i] == ext) return i;
            return int.MaxValue;
        }

        /// <summary><c>stem_mask.*</c> first (MVTec AD), then <c>stem.*</c>, then a folder <c>stem/</c> (MVTec LOCO).</summary>
        public string? Find(string stem) =>
            byStem.GetValueOrDefault(stem + MaskSuffix) ?? byStem.GetValueOrDefault(stem) ?? byStem.GetValueOrDefault(stem + "/");
    }
}
