using AnomalyMoE.Data;
using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Evaluation;

/// <summary>One level's raw maps of a set <c>[N,1,H,W]</c> and, per image, its group's largest routing weight <c>[N]</c>. Owns both.</summary>
/// <param name="Fused">Whether the level takes part in the fused score; a level left out is still scored alone.</param>
public sealed record LevelMap(string Level, Tensor Map, Tensor GroupWeight, bool Fused = true) : IDisposable
{
    public void Dispose()
    {
        Map.Dispose();
        GroupWeight.Dispose();
    }
}

/// <summary>A detector's level maps of a set and, per image, which experts the router selected.</summary>
public sealed record LevelPredictions(IReadOnlyList<LevelMap> Levels, float[][] Selected) : IDisposable
{
    public void Dispose()
    {
        foreach (var level in Levels) level.Dispose();
    }
}

/// <summary>
/// Turns a set's level maps into fused maps, image scores and each level's scores alone, by the preset's
/// <see cref="DetectorSettings.Scoring"/>: the reference's min-max over the set, or calibrated per category.
/// </summary>
public static class SetScoring
{
    /// <summary>Scores a set; <paramref name="calibration"/> is the set's category calibration (required when calibrated).</summary>
    public static SetPredictions Score(IReadOnlyList<ImageRecord> records, IReadOnlyList<LevelMap> levels, float[][] selected, DetectorSettings settings,
        CategoryCalibration? calibration)
    {
        var fusion = MapFusionOptions.Reference;
        bool expertLevels = levels.All(l => ExpertLevels.All.Contains(l.Level));
        var fusedLevels = FusedLevels(levels);
        if (settings.Scoring == ScoringMode.SetMinMax)
        {
            using var fused = FuseMinMax(fusedLevels, fusion);
            var alone = expertLevels ? levels.ToDictionary(l => l.Level, l => Scores(FuseMinMax([l], fusion)), StringComparer.Ordinal) : null;
            return new SetPredictions(records, fused.Smoothed.cpu().detach().clone(), fused.Scores.cpu().data<float>().ToArray(), selected, alone);
        }
        var category = records.Count > 0 ? records[0].CategoryKey : "?";
        if (calibration is null)
            throw new AnomalyMoEException($"Calibrated scoring needs the calibration of category '{category}', which the run does not hold.");
        var calibrated = levels.Select(l => (l, Statistics(calibration, l.Level, category))).ToList();
        var inFusion = calibrated.Where(c => fusedLevels.Contains(c.l)).Select(c => (c.l.Map, c.l.GroupWeight, c.Item2)).ToList();
        using (var fused = MapFusion.FuseCalibrated(inFusion, settings.LevelFusion, fusion))
        {
            var alone = expertLevels
                ? calibrated.ToDictionary(c => c.l.Level, c => Scores(MapFusion.FuseCalibrated([(c.l.Map, c.l.GroupWeight, c.Item2)], settings.LevelFusion, fusion)), StringComparer.Ordinal)
                : null;
            return new SetPredictions(records, fused.Smoothed.cpu().detach().clone(), fused.Scores.cpu().data<float>().ToArray(), selected, alone,
                calibration.Threshold);
        }
    }

    /// <summary>
    /// A category's calibration from its normal images' level maps: each level's image-score statistics, then the threshold
    /// from the normal images' fused calibrated scores.
    /// </summary>
    public static CategoryCalibration Calibrate(IReadOnlyList<LevelMap> levels, DetectorSettings settings)
    {
        if (levels.Count == 0 || levels[0].Map.shape[0] == 0) throw new AnomalyMoEException("Calibration needs at least one normal image.");
        var statistics = new Dictionary<string, LevelStatistics>(StringComparer.Ordinal);
        foreach (var level in levels)
        {
            using var scores = ScoreCalibration.LevelScores(level.Map, MapFusionOptions.Reference);
            statistics[level.Level] = ScoreCalibration.Statistics(scores);
        }
        using var fused = MapFusion.FuseCalibrated(FusedLevels(levels).Select(l => (l.Map, l.GroupWeight, statistics[l.Level])).ToList(), settings.LevelFusion,
            MapFusionOptions.Reference);
        return new CategoryCalibration(statistics, ScoreCalibration.Threshold(fused.Scores), (int)levels[0].Map.shape[0]);
    }

    /// <summary>The levels that take part in the fused score; all of them when every level is left out.</summary>
    static IReadOnlyList<LevelMap> FusedLevels(IReadOnlyList<LevelMap> levels) =>
        levels.Any(l => l.Fused) ? levels.Where(l => l.Fused).ToList() : levels;

    static LevelStatistics Statistics(CategoryCalibration calibration, string level, string category) =>
        calibration.Levels.TryGetValue(level, out var s)
            ? s
            : throw new AnomalyMoEException($"The calibration of category '{category}' has no statistics for the {level} level; delete calibration.json in the run to fit it again.");

    /// <summary>The reference's fusion (<see cref="MapFusion.Fuse"/>) of whichever levels are given, each with its group weight.</summary>
    static FusedMaps FuseMinMax(IReadOnlyList<LevelMap> levels, MapFusionOptions fusion)
    {
        Tensor? Level(string name) => levels.FirstOrDefault(l => l.Level == name)?.Map;
        var patch = Level(ExpertLevels.Patch) ?? levels.FirstOrDefault(l => !ExpertLevels.All.Contains(l.Level))?.Map;
        var global = Level(ExpertLevels.Global);
        var component = Level(ExpertLevels.Component);
        var present = new[] { patch, global, component };
        var weights = new List<Tensor>();
        foreach (var (map, name) in present.Zip(new[] { ExpertLevels.Patch, ExpertLevels.Global, ExpertLevels.Component }))
        {
            if (map is null) continue;
            weights.Add(levels.First(l => ReferenceEquals(l.Map, map)).GroupWeight.view(-1, 1));
        }
        using var routing = cat(weights, 1);
        return MapFusion.Fuse(patch, global, component, routing, new ExpertLayout(patch is null ? 0 : 1, global is null ? 0 : 1, component is null ? 0 : 1), fusion);
    }

    static float[] Scores(FusedMaps fused)
    {
        using (fused) return fused.Scores.cpu().data<float>().ToArray();
    }
}
