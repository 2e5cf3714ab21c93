using AnomalyMoE.Data;

namespace AnomalyMoE.Tests.Data;

public class CalibrationHoldoutTests
{
    static ImageRecord Record(string split, int index, DatasetSplit kind, string defect = ImageRecord.NormalDefectType) =>
        new($"/data/ds/cat/{split}/{defect}/{index:000}.png", "ds", "cat", kind, defect, null);

    static CategoryInfo Category(int train, int validation = 0) => new("ds", "cat", "/data/ds/cat", true,
        Enumerable.Range(0, train).Select(i => Record("train", i, DatasetSplit.Train))
            .Concat(Enumerable.Range(0, validation).Select(i => Record("validation", i, DatasetSplit.Validation)))
            .Concat([Record("test", 0, DatasetSplit.Test), Record("test", 0, DatasetSplit.Test, "crack")])
            .ToList());

    [Fact]
    public void An_evenly_spaced_share_of_the_training_normals_moves_to_validation_and_is_what_calibrates()
    {
        var category = Category(train: 20);

        var split = CalibrationHoldout.Apply(category, 0.2);

        var held = split.Validation.Select(r => Path.GetFileName(r.Path)).ToArray();
        Assert.Equal(["002.png", "007.png", "012.png", "017.png"], held);
        Assert.Equal(16, split.Train.Count());
        Assert.Empty(split.Train.Select(r => Path.GetFileName(r.Path)).Intersect(held));
        Assert.Equal(category.Test, split.Test);
        Assert.Equal(split.Validation, CalibrationHoldout.CalibrationNormals(category, 0.2));
    }

    [Fact]
    public void At_zero_the_category_is_unchanged_and_calibrates_on_its_training_images()
    {
        var category = Category(train: 20, validation: 3);

        Assert.Same(category, CalibrationHoldout.Apply(category, 0));
        Assert.Equal(category.Train, CalibrationHoldout.CalibrationNormals(category, 0));
    }

    [Fact]
    public void A_dataset_with_validation_normals_calibrates_on_them_and_trains_on_every_training_image()
    {
        var category = Category(train: 20, validation: 3);

        Assert.Same(category, CalibrationHoldout.Apply(category, 0.2));
        Assert.Equal(category.Validation, CalibrationHoldout.CalibrationNormals(category, 0.2));
    }

    [Fact]
    public void Too_few_training_normals_are_not_split_and_calibrate_on_themselves()
    {
        var category = Category(train: CalibrationHoldout.MinimumTrainImages - 1);

        Assert.Same(category, CalibrationHoldout.Apply(category, 0.5));
        Assert.Equal(category.Train, CalibrationHoldout.CalibrationNormals(category, 0.5));
    }

    [Theory]
    [InlineData(16, 0.2, 3)]
    [InlineData(20, 0.2, 4)]
    [InlineData(200, 0.1, 20)]
    [InlineData(4, 0.2, 2)]      // at least two to calibrate on
    [InlineData(5, 0.5, 3)]      // at least two left to train on
    [InlineData(3, 0.5, 0)]
    [InlineData(200, 0, 0)]
    public void Holds_out_the_rounded_share_with_two_on_either_side(int train, double fraction, int held) =>
        Assert.Equal(held, CalibrationHoldout.HeldCount(train, fraction));

    // Frames of one clip are near twins: a held-out frame whose clip stayed in training would calibrate on distances no
    // unseen clip gets, so whole clips are held out.
    [Fact]
    public void Frames_of_sequences_are_held_out_a_whole_sequence_at_a_time()
    {
        var frames = Enumerable.Range(0, 5).SelectMany(clip => Enumerable.Range(0, 6).Select(frame =>
            new ImageRecord($"/data/ds/cat/train/good/clip{clip}_{frame:000}.png", "ds", "cat", DatasetSplit.Train, ImageRecord.NormalDefectType, null)));
        var category = new CategoryInfo("ds", "cat", "/data/ds/cat", true, frames.Concat([Record("test", 0, DatasetSplit.Test), Record("test", 0, DatasetSplit.Test, "crack")]).ToList());

        var split = CalibrationHoldout.Apply(category, 0.4);

        static string Clip(ImageRecord r) => Path.GetFileName(r.Path).Split('_')[0];
        Assert.Equal(["clip1", "clip3"], split.Validation.Select(Clip).Distinct().ToArray());
        Assert.Equal(12, split.Validation.Count());
        Assert.Empty(split.Train.Select(Clip).Intersect(split.Validation.Select(Clip)));
    }

    [Theory]
    [InlineData(5, 0.4, 2)]
    [InlineData(2, 0.2, 0)]      // a fifth of two clips rounds to none
    [InlineData(2, 0.5, 1)]
    [InlineData(3, 0.5, 2)]      // at least one left to train on
    [InlineData(1, 0.5, 0)]
    public void Holds_out_the_rounded_share_of_sequences_leaving_one(int sequences, double fraction, int held) =>
        Assert.Equal(held, CalibrationHoldout.HeldSequenceCount(sequences, fraction));
}
