using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Evaluation;

public class ImageScoresTests
{
    static CategoryEvaluation Category(string category, IReadOnlyList<ImageRecord> records, float[] scores,
        Dictionary<string, float[]>? levels, double? threshold)
    {
        using var predictions = new SetPredictions(records, zeros(records.Count, 1, 4, 4), scores, new float[records.Count][], levels, threshold);
        var metrics = new CategoryMetrics(category, 0.5, 0.5, 0.5, null, null, null, null);
        return new CategoryEvaluation(metrics, records.Count, 1, [], [], Images: ImageScore.Of(predictions));
    }

    // image_scores.csv lists every test image with its label, level, fused score, decision and each expert level's score,
    // quoting a path that holds a comma and leaving the cells a category does not have empty.
    [Fact]
    public void Every_image_is_listed_with_its_scores_and_missing_cells_stay_empty()
    {
        var moe = Category("d/a",
            [
                new ImageRecord("/data/a/test/good/0.png", "d", "a", DatasetSplit.Test, "good", null),
                new ImageRecord("/data/a/test/missing,part/1.png", "d", "a", DatasetSplit.Test, "missing,part", "/m.png", "logical"),
            ],
            [0.5f, 3.25f], new() { ["patch"] = [0.25f, 1f], ["global"] = [0.5f, 3.25f] }, threshold: 2);
        var baseline = Category("d/b", [new ImageRecord("/data/b/test/crack/2.png", "d", "b", DatasetSplit.Test, "crack", "/m.png", "structural")],
            [7f], levels: null, threshold: null);

        var lines = ImageScore.ToCsv([moe, baseline]).TrimEnd('\n').Split('\n');

        Assert.Equal("category,path,label,defect_type,anomaly_level,score,anomalous,patch_score,global_score", lines[0]);
        Assert.Equal("d/a,/data/a/test/good/0.png,0,good,,0.5,false,0.25,0.5", lines[1]);
        Assert.Equal("d/a,\"/data/a/test/missing,part/1.png\",1,\"missing,part\",logical,3.25,true,1,3.25", lines[2]);
        Assert.Equal("d/b,/data/b/test/crack/2.png,1,crack,structural,7,,,", lines[3]);
        Assert.Equal(4, lines.Length);
    }
}
