using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Maps;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Evaluation;

public class SetScoringTests
{
    static readonly DetectorSettings Calibrated = new("micro", ImageTransformOptions.Reference, ScoringMode.Calibrated, LevelFusion.Max);

    static IReadOnlyList<ImageRecord> Records(int count) =>
        Enumerable.Range(0, count).Select(i => new ImageRecord($"/data/c/test/good/{i:000}.png", "d", "c", DatasetSplit.Test, "good", null)).ToList();

    // A level whose memory does not cover the category keeps its trained map: it is scored alone, but the fused score and
    // the threshold are those of the other levels only.
    [Fact]
    public void A_level_left_out_of_the_fusion_is_scored_alone_and_does_not_move_the_fused_score()
    {
        manual_seed(5);
        using var patch = rand(4, 1, 16, 16);
        using var noisy = rand(4, 1, 16, 16) * 50;
        LevelMap Patch() => new(ExpertLevels.Patch, patch.clone(), ones(4));
        using var normals = new LevelPredictions([Patch(), new LevelMap(ExpertLevels.Global, noisy.clone(), ones(4), Fused: false)], new float[4][]);
        using var patchOnly = new LevelPredictions([Patch()], new float[4][]);
        var calibration = SetScoring.Calibrate(normals.Levels, Calibrated);
        var patchCalibration = SetScoring.Calibrate(patchOnly.Levels, Calibrated);

        using var both = SetScoring.Score(Records(4), normals.Levels, normals.Selected, Calibrated, calibration);
        using var alone = SetScoring.Score(Records(4), patchOnly.Levels, patchOnly.Selected, Calibrated, patchCalibration);

        Assert.Equal(alone.Scores, both.Scores);
        Assert.Equal(patchCalibration.Threshold, calibration.Threshold, 6);
        Assert.Contains(ExpertLevels.Global, calibration.Levels.Keys);
        Assert.Equal(4, both.ExpertLevelScores[ExpertLevels.Global].Length);
    }
}
