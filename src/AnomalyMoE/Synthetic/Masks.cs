using SkiaSharp;

namespace AnomalyMoE.Synthetic;

/// <summary>Ground-truth masks (row-major, 0 or 255) from the difference of a clean and an anomalous render.</summary>
public static class Masks
{
    /// <summary>255 where any colour channel differs by more than <paramref name="threshold"/> (0–1 scale).</summary>
    public static byte[] FromDifference(SKBitmap clean, SKBitmap changed, float threshold)
    {
        var a = Pixels.Span(clean);
        var b = Pixels.Span(changed);
        var mask = new byte[clean.Width * clean.Height];
        var limit = (int)(threshold * 255);
        for (int p = 0, i = 0; p < mask.Length; p++, i += 4)
        {
            var d = Math.Max(Math.Abs(a[i] - b[i]), Math.Max(Math.Abs(a[i + 1] - b[i + 1]), Math.Abs(a[i + 2] - b[i + 2])));
            if (d > limit) mask[p] = 255;
        }
        return mask;
    }

    /// <summary>255 where the height fields differ by more than <paramref name="threshold"/>.</summary>
    public static byte[] FromDifference(float[] clean, float[] changed, float threshold)
    {
        var mask = new byte[clean.Length];
        for (var p = 0; p < mask.Length; p++)
        {
            if (Math.Abs(clean[p] - changed[p]) > threshold) mask[p] = 255;
        }
        return mask;
    }

    /// <summary>One-pixel 3 × 3 dilation: closes anti-aliasing gaps along a defect's outline.</summary>
    public static byte[] Dilate(byte[] mask, int size)
    {
        var result = new byte[mask.Length];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                if (mask[y * size + x] == 0) continue;
                for (var dy = -1; dy <= 1; dy++)
                {
                    var yy = y + dy;
                    if (yy < 0 || yy >= size) continue;
                    for (var dx = -1; dx <= 1; dx++)
                    {
                        var xx = x + dx;
                        if (xx >= 0 && xx < size) result[yy * size + xx] = 255;
                    }
                }
            }
        }
        return result;
    }

    /// <summary>Fraction of mask pixels that are set.</summary>
    public static double Fraction(byte[] mask)
    {
        var count = 0;
        foreach (var v in mask) if (v != 0) count++;
        return (double)count / mask.Length;
    }
}

/// <summary>Direct access to an RGBA8888 bitmap's pixels.</summary>
static class Pixels
{
    public static unsafe Span<byte> Span(SKBitmap bitmap)
    {
        if (bitmap.ColorType != SKColorType.Rgba8888 && bitmap.ColorType != SKColorType.Gray8)
            throw new ArgumentException($"Expected an RGBA8888 or Gray8 bitmap, got {bitmap.ColorType}.", nameof(bitmap));
        return new Span<byte>((void*)bitmap.GetPixels(), bitmap.ByteCount);
    }
}
