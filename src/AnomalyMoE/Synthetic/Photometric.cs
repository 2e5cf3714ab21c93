using SkiaSharp;

namespace AnomalyMoE.Synthetic;

/// <summary>
/// Acquisition variation applied after the scene is drawn: a global gain, a linear illumination
/// gradient in a random direction, and per-pixel sensor noise. It changes every pixel of every image,
/// so no two normal images are pixel-identical even when their layouts coincide.
/// </summary>
public static class Photometric
{
    public static void Apply(SKBitmap bitmap, SynthRandom rng, float lightingStrength, float noiseSigma)
    {
        var size = bitmap.Width;
        var gain = 1 + rng.Range(-lightingStrength, lightingStrength);
        var angle = rng.Range(0, MathF.Tau);
        var slope = rng.Range(0, lightingStrength) / size;
        var (dx, dy) = (MathF.Cos(angle) * slope, MathF.Sin(angle) * slope);
        var tint = (R: 1 + rng.Range(-0.03f, 0.03f), G: 1 + rng.Range(-0.03f, 0.03f), B: 1 + rng.Range(-0.03f, 0.03f));
        var noise = rng.Fork("noise");
        var sigma = noiseSigma * 255f;
        var pixels = Pixels.Span(bitmap);
        var half = size / 2f;
        for (var y = 0; y < size; y++)
        {
            var rowLight = gain + (y - half) * dy;
            for (var x = 0; x < size; x++)
            {
                var light = rowLight + (x - half) * dx;
                var i = (y * size + x) * 4;
                pixels[i] = Clamp(pixels[i] * light * tint.R + sigma * noise.NextApproxNormal());
                pixels[i + 1] = Clamp(pixels[i + 1] * light * tint.G + sigma * noise.NextApproxNormal());
                pixels[i + 2] = Clamp(pixels[i + 2] * light * tint.B + sigma * noise.NextApproxNormal());
            }
        }
    }

    static byte Clamp(float v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)(v + 0.5f);
}
