using AnomalyMoE.Runtime;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// Anomaly maps and their ground-truth masks for one evaluation set (usually one category's test images),
/// all the same size, stored flat as [map, row, column]. A mask pixel is anomalous when it is non-zero.
/// </summary>
public sealed class PixelMapSet
{
    public PixelMapSet(float[] scores, byte[] masks, int count, int height, int width)
    {
        if (count <= 0 || height <= 0 || width <= 0)
            throw new AnomalyMoEException($"Map set size must be positive: {count} maps of {height}×{width}.");
        var pixels = (long)count * height * width;
        if (pixels > Array.MaxLength)
            throw new AnomalyMoEException($"Map set of {count} maps of {height}×{width} has {pixels} pixels, more than one array can hold ({Array.MaxLength}).");
        if (scores.Length != pixels)
            throw new AnomalyMoEException($"Score array has {scores.Length} values; {count} maps of {height}×{width} need {pixels}.");
        if (masks.Length != pixels)
            throw new AnomalyMoEException($"Mask array has {masks.Length} values; {count} masks of {height}×{width} need {pixels}.");
        Scores = scores;
        Masks = masks;
        Count = count;
        Height = height;
        Width = width;
    }

    /// <summary>Flat scores, [map, row, column].</summary>
    public float[] Scores { get; }

    /// <summary>Flat masks, [map, row, column]; non-zero = anomalous.</summary>
    public byte[] Masks { get; }

    public int Count { get; }
    public int Height { get; }
    public int Width { get; }
    public int PixelsPerMap => Height * Width;

    /// <summary>Copies per-image maps and masks (each <paramref name="height"/>×<paramref name="width"/>, row-major) into one set.</summary>
    public static PixelMapSet FromMaps(IReadOnlyList<float[]> maps, IReadOnlyList<byte[]> masks, int height, int width)
    {
        if (maps.Count != masks.Count)
            throw new AnomalyMoEException($"{maps.Count} anomaly maps but {masks.Count} masks; each map needs its mask.");
        if (maps.Count == 0) throw new AnomalyMoEException("No anomaly maps given.");
        var perMap = height * width;
        var scores = new float[(long)maps.Count * perMap];
        var flatMasks = new byte[scores.Length];
        for (var i = 0; i < maps.Count; i++)
        {
            if (maps[i].Length != perMap)
                throw new AnomalyMoEException($"Anomaly map {i} has {maps[i].Length} values; expected {height}×{width} = {perMap}.");
            if (masks[i].Length != perMap)
                throw new AnomalyMoEException($"Mask {i} has {masks[i].Length} values; expected {height}×{width} = {perMap}.");
            maps[i].CopyTo(scores, (long)i * perMap);
            masks[i].CopyTo(flatMasks, (long)i * perMap);
        }
        return new PixelMapSet(scores, flatMasks, maps.Count, height, width);
    }
}
