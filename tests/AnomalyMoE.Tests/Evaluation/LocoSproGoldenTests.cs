using System.Text.Json;
using AnomalyMoE.Evaluation;

namespace AnomalyMoE.Tests.Evaluation;

/// <summary>Against values from golden/make_loco_spro.py, which follows the official MVTec LOCO evaluation's formulas.</summary>
public class LocoSproGoldenTests
{
    static string Golden() => Path.Combine(AppContext.BaseDirectory, "Evaluation", "golden", "loco_spro.json");

    [Fact]
    public void Auc_spro_at_every_limit_matches_the_official_formulas()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Golden()));
        var root = doc.RootElement;
        int width = root.GetProperty("width").GetInt32(), height = root.GetProperty("height").GetInt32();
        var config = LocoDefectsConfig.Parse(root.GetProperty("config").GetRawText());
        var byName = config.ByPixelValue.Values.ToDictionary(c => c.DefectName);
        var samples = root.GetProperty("images").EnumerateArray().Select(image =>
        {
            var scores = image.GetProperty("scores").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            var regions = image.GetProperty("regions").EnumerateArray().Select(r => new LocoRegion(
                r.GetProperty("mask").EnumerateArray().Select(v => v.GetInt32() != 0).ToArray(),
                byName[r.GetProperty("defect").GetString()!])).ToList();
            return new LocoSample(regions.Count == 0 ? "good" : "logical_anomalies", scores, new LocoGroundTruth(width, height, regions));
        }).ToList();

        var curve = LocoSpro.Curve(samples);

        foreach (var limit in root.GetProperty("auc_spro").EnumerateObject())
            Assert.Equal(limit.Value.GetDouble(), LocoSpro.AucSpro(curve, double.Parse(limit.Name, System.Globalization.CultureInfo.InvariantCulture)), 10);
    }
}
