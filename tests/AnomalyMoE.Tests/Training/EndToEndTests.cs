using System.Text.Json;
using AnomalyMoE.Training;

namespace AnomalyMoE.Tests.Training;

[Collection(EngineCollection.Name)]
public class EndToEndTests(EngineFixture fixture)
{
    static (int Code, string Out, string Err) Amoe(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = AnomalyMoE.Cli.Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    string Data => string.Join(',', fixture.Roots.Select(r => r.Root));

    [Fact]
    public void TrainThenTestWritesMetricsForEveryCategoryWithLevelsRoutingAndOverlays()
    {
        var runDir = fixture.NewRunFolder();
        var train = Amoe("train", "--data", Data, "--preset", "micro", "--out", runDir, "--iters", "6", "--device", "cpu", "--quiet");
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("iterations 0→6", train.Out);

        var report = Path.Combine(runDir, "eval");
        var test = Amoe("test", "--run", runDir, "--report", report, "--device", "cpu", "--quiet");
        Assert.True(test.Code == 0, test.Err);
        Assert.Contains("| **mean** |", test.Out);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "metrics.json")));
        var root = json.RootElement;
        Assert.Equal("anomalymoe", root.GetProperty("method").GetString());
        var categories = root.GetProperty("categories").EnumerateObject().ToList();
        var expected = fixture.Roots.Sum(r => Data_Categories(r.Root));
        Assert.Equal(expected, categories.Count);
        foreach (var category in categories)
        {
            foreach (var key in new[] { "image_auroc", "image_ap", "image_f1_max", "pixel_auroc", "pixel_ap", "pixel_f1_max", "pixel_aupro" })
            {
                var v = category.Value.GetProperty(key).GetDouble();
                Assert.InRange(v, 0, 1);
            }
            Assert.Equal(6, category.Value.GetProperty("routing_frequency").EnumerateObject().Count());
            Assert.Contains(category.Value.GetProperty("levels").EnumerateObject(), l => l.Value.GetProperty("image_auroc").ValueKind == JsonValueKind.Number);
            var expertLevels = category.Value.GetProperty("expert_levels").EnumerateObject().ToList();
            Assert.Equal(["patch", "global", "component"], expertLevels.Select(l => l.Name));
            Assert.All(expertLevels, l => Assert.InRange(l.Value.GetProperty("image_auroc").GetDouble(), 0, 1));
        }
        Assert.Equal(
            categories.Average(c => c.Value.GetProperty("expert_levels").GetProperty("patch").GetProperty("image_auroc").GetDouble()),
            root.GetProperty("expert_levels").GetProperty("patch").GetProperty("image_auroc").GetDouble(), 9);
        var mean = root.GetProperty("mean").GetProperty("image_auroc").GetDouble();
        Assert.Equal(categories.Average(c => c.Value.GetProperty("image_auroc").GetDouble()), mean, 9);
        // Micro routes top-1 within each of the three levels, so every image selects three experts, one per level.
        var frequency = root.GetProperty("routing_frequency").EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetDouble());
        Assert.Equal(3.0, frequency.Values.Sum(), 6);
        foreach (var level in new[] { "patch", "global", "component" })
            Assert.Equal(1.0, frequency.Where(kv => kv.Key.StartsWith(level, StringComparison.Ordinal)).Sum(kv => kv.Value), 6);
        Assert.True(File.Exists(Path.Combine(report, "metrics.csv")));
        Assert.Contains("## Image AUROC by anomaly level", File.ReadAllText(Path.Combine(report, "report.md")));
        Assert.Contains("## Image AUROC of each expert level fused alone", File.ReadAllText(Path.Combine(report, "report.md")));
        var overlays = root.GetProperty("overlays").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(4 * categories.Count, overlays.Count);
        Assert.All(overlays, o => Assert.True(File.Exists(Path.Combine(report, o))));
    }

    static int Data_Categories(string root) => AnomalyMoE.Data.MvtecDatasetReader.DiscoverCategories(root).Count;

    [Fact]
    public void PatchCoreBaselineTrainsAndEvaluatesInTheSameEngine()
    {
        var runDir = fixture.NewRunFolder();
        var data = string.Join(',', fixture.OneCategory.Select(r => r.Root));
        var category = fixture.OneCategory[0].Categories[0];
        var train = Amoe("train", "--data", data, "--categories", category, "--preset", "micro", "--method", "patchcore", "--out", runDir, "--device", "cpu", "--quiet");
        Assert.True(train.Code == 0, train.Err);
        var test = Amoe("test", "--run", runDir, "--device", "cpu", "--quiet");
        Assert.True(test.Code == 0, test.Err);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "reports", "metrics.json")));
        Assert.Equal("patchcore", json.RootElement.GetProperty("method").GetString());
        Assert.InRange(json.RootElement.GetProperty("mean").GetProperty("pixel_auroc").GetDouble(), 0, 1);
        Assert.Empty(json.RootElement.GetProperty("routing_frequency").EnumerateObject());
        Assert.False(json.RootElement.TryGetProperty("expert_levels", out _), "the baseline has no expert levels");
    }

    [Fact]
    public void PredictScoresArbitraryImagesAndWritesOverlays()
    {
        var runDir = fixture.NewRunFolder();
        var root = fixture.OneCategory[0].Root;
        var category = fixture.OneCategory[0].Categories[0];
        Assert.Equal(0, Amoe("train", "--data", root, "--categories", category, "--preset", "micro", "--out", runDir, "--iters", "2", "--device", "cpu", "--quiet").Code);
        var images = Path.Combine(root, category, "test", "good");
        var outDir = Path.Combine(runDir, "predict");
        var predict = Amoe("predict", "--run", runDir, "--images", images, "--out", outDir, "--device", "cpu", "--quiet");
        Assert.True(predict.Code == 0, predict.Err);
        var lines = File.ReadAllLines(Path.Combine(outDir, "scores.csv"));
        var count = Directory.GetFiles(images).Length;
        Assert.Equal(count + 1, lines.Length);
        Assert.Equal(count, Directory.GetFiles(outDir, "*.png").Length);
    }
}
