using AnomalyMoE.Data;
using AnomalyMoE.Data.Preparation;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// Computes a category's <see cref="DatasetSpecificMetrics"/> from the detector's output on its test images, with the
/// benchmark's own protocol: MVTec LOCO through <see cref="LocoSpro"/> and <see cref="LocoImageAuroc"/>, UCSD Ped2
/// through <see cref="FrameLevelAuroc"/>, MVTec 3D-AD through <see cref="PixelMetrics"/> at <see cref="Mvtec3dAupro.FprLimits"/>.
/// </summary>
public static class DatasetSpecificEvaluation
{
    /// <summary>
    /// The metrics of <paramref name="kind"/>; null for <see cref="DatasetMetricsKind.Standard"/>.
    /// </summary>
    /// <param name="predictions">Maps <c>[N,1,R,R]</c> and scores of the category's test images, in that order.</param>
    /// <param name="pixels">The maps paired with their masks at map resolution, when the category has masks.</param>
    /// <param name="transform">The detector's image transform, which the masks follow into the maps' geometry.</param>
    public static DatasetSpecificMetrics? Compute(DatasetMetricsKind kind, CategoryInfo category, SetPredictions predictions, PixelMapSet? pixels,
        ImageTransformOptions transform)
    {
        try
        {
            return kind switch
            {
                DatasetMetricsKind.MvtecLoco => Loco(category, predictions, pixels, transform),
                DatasetMetricsKind.UcsdPed2 => Ped2(predictions),
                DatasetMetricsKind.Mvtec3d => Mvtec3d(pixels),
                _ => null,
            };
        }
        catch (Exception e) when (e is ArgumentException or AnomalyMoEException)
        {
            throw new AnomalyMoEException($"Category '{category.Key}' ({kind}): {e.Message}", e);
        }
    }

    static DatasetSpecificMetrics Loco(CategoryInfo category, SetPredictions predictions, PixelMapSet? pixels, ImageTransformOptions transform)
    {
        int side = (int)predictions.Maps.shape[2];
        var maps = pixels?.Scores ?? predictions.Maps.contiguous().data<float>().ToArray();
        var samples = LocoMapSamples.Build(category, predictions.Records, maps, side, transform);
        var curve = LocoSpro.Curve(samples);
        var images = LocoImageAuroc.Compute(predictions.Records.Select((r, i) => (r.DefectType, (double)predictions.Scores[i])).ToList());
        return new DatasetSpecificMetrics(DatasetMetricsKind.MvtecLoco,
            AucSpro: DatasetSpecificMetrics.Defined(LocoSpro.AucSpro(curve, LocoSpro.DefaultMaxFpr)),
            ImageAurocLogical: DatasetSpecificMetrics.Defined(images.Logical),
            ImageAurocStructural: DatasetSpecificMetrics.Defined(images.Structural));
    }

    static DatasetSpecificMetrics Ped2(SetPredictions predictions)
    {
        var frames = predictions.Records.Select((r, i) =>
        {
            var (clip, frame) = FrameLevelAuroc.ParseConvertedName(Path.GetFileName(r.Path));
            return new FrameScore(clip, frame, predictions.Scores[i], r.IsAnomalous);
        }).ToList();
        return new DatasetSpecificMetrics(DatasetMetricsKind.UcsdPed2, FrameAuroc: DatasetSpecificMetrics.Defined(FrameLevelAuroc.Pooled(frames)));
    }

    static DatasetSpecificMetrics Mvtec3d(PixelMapSet? pixels)
    {
        if (pixels is null) return new DatasetSpecificMetrics(DatasetMetricsKind.Mvtec3d);
        var pixel = PixelMetrics.Compute(pixels, Mvtec3dAupro.FprLimits);
        return new DatasetSpecificMetrics(DatasetMetricsKind.Mvtec3d,
            Aupro03: DatasetSpecificMetrics.Defined(pixel.AuproAt(0.3)), Aupro001: DatasetSpecificMetrics.Defined(pixel.AuproAt(0.01)));
    }
}

/// <summary>
/// MVTec LOCO test images as <see cref="LocoSample"/>s at the anomaly maps' resolution. The regions come from the
/// original per-region masks that <c>data-scripts/prepare mvtec-loco</c> keeps (<c>ground_truth/&lt;defect&gt;/&lt;id&gt;/000.png…</c>)
/// and the category's <c>defects_config.json</c>. sPRO is measured at map resolution like every other pixel metric of
/// the kit (the official evaluation upsamples maps to the mask size instead): each region follows
/// <see cref="MapResolutionMasks"/>, an absolute saturation threshold is rescaled by the map pixels per source pixel
/// (rounded, at least one) so that it keeps its meaning, a relative one needs no change, and a region that no map
/// pixel covers (smaller than one map pixel, or cropped away) is left out, as it is from the pixel masks.
/// </summary>
public static class LocoMapSamples
{
    public static IReadOnlyList<LocoSample> Build(CategoryInfo category, IReadOnlyList<ImageRecord> records, float[] flatMaps, int side,
        ImageTransformOptions transform)
    {
        int perMap = side * side;
        if (flatMaps.Length != (long)records.Count * perMap)
            throw new ArgumentException($"{flatMaps.Length} map values for {records.Count} maps of {side}×{side}.");
        var configPath = Path.Combine(category.Folder, MvtecLocoConverter.DefectsConfigFile);
        if (!File.Exists(configPath))
            throw new AnomalyMoEException($"{configPath} is missing: AUC-sPRO needs MVTec LOCO's defects_config.json in the category folder (data-scripts/prepare mvtec-loco keeps it).");
        var config = LocoDefectsConfig.Load(configPath);
        var samples = new List<LocoSample>(records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var map = flatMaps.AsSpan(i * perMap, perMap).ToArray();
            var truth = record.IsAnomalous ? RegionsAtMapSize(RegionFolder(category, record), config, side, transform) : LocoGroundTruth.Good(side, side);
            samples.Add(new LocoSample(record.DefectType, map, truth));
        }
        return samples;
    }

    /// <summary>The folder of an anomalous image's region masks: its mask path when that is a folder, else the folder named like the image beside its united mask.</summary>
    public static string RegionFolder(CategoryInfo category, ImageRecord record)
    {
        if (record.MaskPath is { } mask && Directory.Exists(mask)) return mask;
        var folder = Path.Combine(category.Folder, MvtecLayout.GroundTruth, record.DefectType, Path.GetFileNameWithoutExtension(record.Path));
        if (!Directory.Exists(folder))
            throw new AnomalyMoEException(
                $"{folder} is missing: AUC-sPRO needs the original MVTec LOCO region masks of {record.Path} (data-scripts/prepare mvtec-loco keeps them).");
        return folder;
    }

    static LocoGroundTruth RegionsAtMapSize(string folder, LocoDefectsConfig config, int side, ImageTransformOptions transform)
    {
        var original = LocoGroundTruth.ReadFolder(folder, config);
        double scale = MapResolutionMasks.MapPixelsPerSourcePixel(original.Width, original.Height, transform, side);
        var regions = new List<LocoRegion>();
        foreach (var region in original.Regions)
        {
            var bytes = region.Mask.Select(m => m ? (byte)1 : (byte)0).ToArray();
            var mask = MapResolutionMasks.Of(new BinaryMask(original.Width, original.Height, bytes), transform, side).Select(b => b != 0).ToArray();
            if (!mask.Contains(true)) continue;
            var defect = region.Defect.RelativeSaturation
                ? region.Defect
                : region.Defect with { SaturationThreshold = Math.Max(1, Math.Round(region.Defect.SaturationThreshold * scale, MidpointRounding.AwayFromZero)) };
            regions.Add(new LocoRegion(mask, defect));
        }
        return new LocoGroundTruth(side, side, regions);
    }
}
