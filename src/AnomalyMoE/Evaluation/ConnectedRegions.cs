namespace AnomalyMoE.Evaluation;

/// <summary>
/// 8-connected components of a binary mask (pixels touching by an edge or a corner belong together), the
/// region definition of the MVTec AD PRO metric (scipy.ndimage.label with a 3×3 structuring element).
/// </summary>
public static class ConnectedRegions
{
    /// <summary>
    /// Labels the non-zero pixels of a row-major <paramref name="height"/>×<paramref name="width"/> mask:
    /// 0 = background, 1..count = regions numbered in the order their first pixel appears row by row.
    /// Returns the number of regions.
    /// </summary>
    public static int Label(ReadOnlySpan<byte> mask, int height, int width, Span<int> labels)
    {
        var pixels = height * width;
        if (mask.Length != pixels || labels.Length != pixels)
            throw new ArgumentException($"Mask and labels must both hold {height}×{width} = {pixels} values (got {mask.Length} and {labels.Length}).");
        labels.Clear();
        var stack = new Stack<int>();
        var regions = 0;
        for (var start = 0; start < pixels; start++)
        {
            if (mask[start] == 0 || labels[start] != 0) continue;
            regions++;
            labels[start] = regions;
            stack.Push(start);
            while (stack.Count > 0)
            {
                var p = stack.Pop();
                int y = p / width, x = p - y * width;
                for (var dy = -1; dy <= 1; dy++)
                {
                    var ny = y + dy;
                    if ((uint)ny >= (uint)height) continue;
                    for (var dx = -1; dx <= 1; dx++)
                    {
                        var nx = x + dx;
                        if ((uint)nx >= (uint)width) continue;
                        var q = ny * width + nx;
                        if (mask[q] == 0 || labels[q] != 0) continue;
                        labels[q] = regions;
                        stack.Push(q);
                    }
                }
            }
        }
        return regions;
    }
}
