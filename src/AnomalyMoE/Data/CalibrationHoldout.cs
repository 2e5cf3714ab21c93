namespace AnomalyMoE.Data;

/// <summary>
/// Which normal images a category's scores are calibrated on (<see cref="Maps.ScoringMode.Calibrated"/>). At a fraction of 0,
/// the training images themselves. The model has learnt to reconstruct them, so they understate how far unseen normal
/// images reach, most of all for a level that memorises a small training set. Above 0, the dataset's own validation
/// normals where it has them (MVTec 3D-AD), otherwise that fraction of the training normals, evenly spaced in path order
/// and kept out of training, the component segmenter and the PatchCore bank alike. Where the training images form
/// sequences (<see cref="ImageSequences"/>: video clips, scan slices) whole sequences are held out: a held-out frame whose
/// clip stayed in training has near twins in every memory and in the model's training set, so it would calibrate on
/// distances no unseen clip gets.
/// </summary>
public static class CalibrationHoldout
{
    /// <summary>Fewest training normals a category needs before any are held out: two to calibrate on, two to train on.</summary>
    public const int MinimumTrainImages = 4;

    /// <summary>
    /// <paramref name="category"/> with its held-out training normals moved to the validation split; unchanged at a fraction of 0,
    /// when the category has validation normals already, when it has fewer than <see cref="MinimumTrainImages"/> training images,
    /// or, for sequences, when the fraction of them rounds to none.
    /// </summary>
    public static CategoryInfo Apply(CategoryInfo category, double fraction)
    {
        if (fraction <= 0 || category.Validation.Any()) return category;
        var train = category.Train.ToList();
        var sequences = ImageSequences.Of(train.Select(r => r.Path).ToList());
        int count = sequences.Length == 0 ? 0 : sequences.Max() + 1;
        bool framesOfSequences = count < train.Count;
        int held = framesOfSequences ? HeldSequenceCount(count, fraction) : HeldCount(train.Count, fraction);
        if (held == 0) return category;
        // Evenly spaced over the images (or the sequences) in path order.
        var heldUnits = Enumerable.Range(0, held).Select(i => (int)((i + 0.5) * count / held)).ToHashSet();
        var isHeld = train.Select((_, i) => heldUnits.Contains(sequences[i])).ToArray();
        var records = train.Where((_, i) => !isHeld[i])
            .Concat(train.Where((_, i) => isHeld[i]).Select(r => r with { Split = DatasetSplit.Validation }))
            .Concat(category.Records.Where(r => r.Split == DatasetSplit.Test))
            .ToList();
        return category with { Records = records };
    }

    /// <summary>Every category of <paramref name="catalog"/> through <see cref="Apply(CategoryInfo, double)"/>.</summary>
    public static DatasetCatalog Apply(DatasetCatalog catalog, double fraction) =>
        fraction <= 0 ? catalog : catalog with { Categories = catalog.Categories.Select(c => Apply(c, fraction)).ToList() };

    /// <summary>The normal images <paramref name="category"/> is calibrated on at <paramref name="fraction"/>.</summary>
    public static IReadOnlyList<ImageRecord> CalibrationNormals(CategoryInfo category, double fraction)
    {
        var split = Apply(category, fraction);
        var validation = split.Validation.ToList();
        return fraction > 0 && validation.Count > 0 ? validation : split.Train.ToList();
    }

    /// <summary>How many of <paramref name="trainImages"/> independent images are held out: the rounded fraction, at least two, leaving at least two.</summary>
    public static int HeldCount(int trainImages, double fraction)
    {
        if (fraction <= 0 || trainImages < MinimumTrainImages) return 0;
        return Math.Clamp((int)Math.Round(fraction * trainImages, MidpointRounding.AwayFromZero), 2, trainImages - 2);
    }

    /// <summary>
    /// How many of a category's <paramref name="sequences"/> are held out: the rounded fraction, leaving at least one. One
    /// sequence holds many frames, so it is enough to calibrate on; where the share rounds to none, none is held out.
    /// </summary>
    public static int HeldSequenceCount(int sequences, double fraction) =>
        fraction <= 0 || sequences < 2 ? 0 : Math.Min((int)Math.Round(fraction * sequences, MidpointRounding.AwayFromZero), sequences - 1);
}
