using AnomalyMoE.Data;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// Ground truth for the benchmark-specific metrics on data that lacks the benchmark's own annotation files: masks
/// brought to the maps' geometry as every pixel metric brings them (<see cref="MapResolutionMasks"/>), and sPRO samples
/// built from plain masks. Without MVTec LOCO's <c>defects_config.json</c> each 8-connected region of a mask is one
/// region that saturates at its full area, so its sPRO is the region's overlap (as in PRO).
/// </summary>
public static class RegionSamples
{
    /// <summary>Each record's mask at <paramref name="side"/>² (1 = anomalous; all zero without a mask).</summary>
    public static IReadOnlyList<byte[]> MasksAtMapResolution(IReadOnlyList<ImageRecord> records, ImageTransformOptions transform, int side) =>
        records.Select(r => MapResolutionMasks.Load(r.MaskPath, transform, side)).ToList();

    /// <summary>The MVTec LOCO folder name of an image: its own when it is one, else from its anomaly level (logical or otherwise structural).</summary>
    public static string LocoTypeOf(ImageRecord record) =>
        !record.IsAnomalous ? LocoSpro.Good
        : record.DefectType is LocoSpro.Logical or LocoSpro.Structural ? record.DefectType
        : record.Level == AnomalyLevels.Logical ? LocoSpro.Logical : LocoSpro.Structural;

    /// <summary>sPRO samples of <paramref name="records"/> from flat maps <c>[N·side²]</c> and their masks at map resolution.</summary>
    public static IReadOnlyList<LocoSample> FromMasks(IReadOnlyList<ImageRecord> records, float[] flatMaps, IReadOnlyList<byte[]> masks, int side)
    {
        int perMap = side * side;
        if (flatMaps.Length != (long)records.Count * perMap) throw new ArgumentException($"{flatMaps.Length} map values for {records.Count} maps of {side}×{side}.");
        if (masks.Count != records.Count) throw new ArgumentException($"{masks.Count} masks for {records.Count} images.");
        var labels = new int[perMap];
        var samples = new List<LocoSample>(records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            if (masks[i].Length != perMap) throw new ArgumentException($"Mask {i} holds {masks[i].Length} values; {perMap} expected.");
            var regions = new List<LocoRegion>();
            if (records[i].IsAnomalous)
            {
                int count = ConnectedRegions.Label(masks[i], side, side, labels);
                var defect = new LocoDefectConfig(records[i].DefectType, 255, 1.0, RelativeSaturation: true);
                for (int k = 1; k <= count; k++) regions.Add(new LocoRegion(labels.Select(l => l == k).ToArray(), defect));
            }
            samples.Add(new LocoSample(LocoTypeOf(records[i]), flatMaps.AsSpan(i * perMap, perMap).ToArray(), new LocoGroundTruth(side, side, regions)));
        }
        return samples;
    }
}
