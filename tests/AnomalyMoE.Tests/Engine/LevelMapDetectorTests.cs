using AnomalyMoE.Data;
using AnomalyMoE.Engine;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Maps;
using AnomalyMoE.Runtime;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Engine;

public class LevelMapDetectorTests
{
    /// <summary>A detector whose patch map of an image is a constant: the image's number in its file name.</summary>
    sealed class NumberedDetector(RunCalibration calibration) : LevelMapDetector(calibration)
    {
        public override string Method => "numbered";
        public override IReadOnlyList<string> ExpertNames => [];
        public override DetectorSettings Settings { get; } = new("micro", ImageTransformOptions.Reference, ScoringMode.Calibrated, LevelFusion.Max);

        protected override LevelPredictions PredictLevels(IReadOnlyList<ImageRecord> records, IProgress<ProgressUpdate>? progress, CancellationToken cancellationToken)
        {
            var values = records.Select(r => float.Parse(Path.GetFileNameWithoutExtension(r.Path))).ToArray();
            var maps = tensor(values).view(-1, 1, 1, 1).expand(-1, 1, 8, 8).contiguous();
            return new LevelPredictions([new LevelMap("patch", maps, ones(records.Count))], new float[records.Count][]);
        }

        public override void Dispose() { }
    }

    static IReadOnlyList<ImageRecord> Images(string split, params int[] numbers) =>
        numbers.Select(n => new ImageRecord($"/data/c/{split}/good/{n}.png", "d", "c", split == "train" ? DatasetSplit.Train : DatasetSplit.Test, "good", null)).ToList();

    // A set is scored against the calibration fitted on its category's normals, the same whichever other images it holds.
    [Fact]
    public void A_set_is_scored_by_its_categorys_calibration_whatever_else_it_holds()
    {
        var calibration = RunCalibration.Empty();
        using var detector = new NumberedDetector(calibration);
        calibration.Set("d/c", detector.Calibrate(Images("train", 1, 2, 3)));

        using var alone = detector.Predict(Images("test", 9));
        using var inSet = detector.Predict(Images("test", 2, 9, 40));

        Assert.Equal(alone.Scores[0], inSet.Scores[1], 5);
        Assert.True(inSet.Scores[0] < inSet.Scores[1] && inSet.Scores[1] < inSet.Scores[2]);
        Assert.Equal(calibration.Categories["d/c"].Threshold, inSet.Threshold);
    }

    [Fact]
    public void No_images_to_score_or_calibrate_on_is_a_named_error()
    {
        using var detector = new NumberedDetector(RunCalibration.Empty());
        Assert.Contains("No images to evaluate", Assert.Throws<AnomalyMoEException>(() => detector.Predict([])).Message);
        Assert.Contains("at least one normal image", Assert.Throws<AnomalyMoEException>(() => detector.Calibrate([])).Message);
    }
}
