namespace AnomalyMoE.Data;

/// <summary>Which colour property one jitter changes.</summary>
public enum JitterKind { Brightness, Contrast, Saturation }

/// <summary>One drawn jitter: the property and its factor (1 = unchanged).</summary>
public readonly record struct JitterChoice(JitterKind Kind, float Factor)
{
    /// <summary>
    /// The reference's <c>RandomChoice([ColorJitter(brightness=s), ColorJitter(contrast=s), ColorJitter(saturation=s)])</c>:
    /// one of the three uniformly, with a factor uniform in [1 − s, 1 + s].
    /// </summary>
    public static JitterChoice Sample(Random random, float strength)
    {
        var kind = (JitterKind)random.Next(3);
        var factor = (float)(1.0 - strength + 2.0 * strength * random.NextDouble());
        return new JitterChoice(kind, factor);
    }
}

/// <summary>
/// The colour jitter of the global experts' second view, with torchvision's tensor semantics:
/// brightness scales towards black, contrast blends with the image's mean gray level, saturation blends
/// with each pixel's gray value; results are clamped to [0, 1]. Gray = 0.2989 R + 0.587 G + 0.114 B.
/// </summary>
public static class ColorJitter
{
    const float RedWeight = 0.2989f, GreenWeight = 0.587f, BlueWeight = 0.114f;

    /// <summary>The mean gray level of a whole image (what contrast blends towards).</summary>
    public static float MeanGray(RgbImage image)
    {
        int plane = image.Width * image.Height;
        var p = image.Pixels;
        double sum = 0;
        for (int i = 0; i < plane; i++) sum += RedWeight * p[i] + GreenWeight * p[plane + i] + BlueWeight * p[2 * plane + i];
        return (float)(sum / plane);
    }

    /// <summary>
    /// Applies a jitter in place to RGB planes in [0, 1] (<c>[3, plane]</c>). <paramref name="meanGray"/> is the
    /// contrast reference; pass <see cref="MeanGray"/> of the full image, as the reference jitters before resizing.
    /// </summary>
    public static void Apply(Span<float> rgb, int plane, JitterChoice choice, float meanGray)
    {
        float f = choice.Factor;
        switch (choice.Kind)
        {
            case JitterKind.Brightness:
                foreach (ref var v in rgb) v = Math.Clamp(f * v, 0f, 1f);
                break;
            case JitterKind.Contrast:
                float offset = (1f - f) * meanGray;
                foreach (ref var v in rgb) v = Math.Clamp(f * v + offset, 0f, 1f);
                break;
            case JitterKind.Saturation:
                var r = rgb[..plane];
                var g = rgb.Slice(plane, plane);
                var b = rgb.Slice(2 * plane, plane);
                for (int i = 0; i < plane; i++)
                {
                    float gray = (1f - f) * (RedWeight * r[i] + GreenWeight * g[i] + BlueWeight * b[i]);
                    r[i] = Math.Clamp(f * r[i] + gray, 0f, 1f);
                    g[i] = Math.Clamp(f * g[i] + gray, 0f, 1f);
                    b[i] = Math.Clamp(f * b[i] + gray, 0f, 1f);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(choice), choice.Kind, "Unknown jitter kind.");
        }
    }
}
