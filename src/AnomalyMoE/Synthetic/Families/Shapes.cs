using SkiaSharp;

namespace AnomalyMoE.Synthetic.Families;

/// <summary>Paints, colours and irregular shapes shared by the procedural categories.</summary>
static class Shapes
{
    public static SKPaint Fill(SKColor color) => new() { Color = color, IsAntialias = true, Style = SKPaintStyle.Fill };

    public static SKPaint Stroke(SKColor color, float width, SKStrokeCap cap = SKStrokeCap.Round) =>
        new() { Color = color, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = width, StrokeCap = cap, StrokeJoin = SKStrokeJoin.Round };

    /// <summary>
    /// A stroke width in reference pixels that is at least <paramref name="pixels"/> output pixels wide on this
    /// canvas, so thin defects stay visible (and masked) at small output sizes.
    /// </summary>
    public static float AtLeast(SKCanvas canvas, float width, float pixels)
    {
        var m = canvas.TotalMatrix;
        var scale = MathF.Sqrt(m.ScaleX * m.ScaleX + m.SkewY * m.SkewY);
        return MathF.Max(width, pixels / scale);
    }

    /// <summary>A colour from hue (degrees), saturation and value (0–1).</summary>
    public static SKColor Hsv(float hue, float saturation, float value, byte alpha = 255) =>
        SKColor.FromHsv(((hue % 360) + 360) % 360, Math.Clamp(saturation, 0, 1) * 100, Math.Clamp(value, 0, 1) * 100, alpha);

    public static SKColor Gray(float value, byte alpha = 255)
    {
        var v = (byte)Math.Clamp(value * 255, 0, 255);
        return new SKColor(v, v, v, alpha);
    }

    /// <summary>A closed irregular blob: a circle whose radius wobbles by up to <paramref name="irregularity"/>.</summary>
    public static SKPath Blob(SynthRandom rng, float cx, float cy, float radius, float irregularity, float aspect = 1, float angle = 0)
    {
        var points = 14;
        var radii = new float[points];
        for (var i = 0; i < points; i++) radii[i] = radius * (1 + rng.Range(-irregularity, irregularity));
        var path = new SKPath();
        var (cos, sin) = (MathF.Cos(angle), MathF.Sin(angle));
        SKPoint At(int i)
        {
            var t = MathF.Tau * i / points;
            var x = MathF.Cos(t) * radii[i % points] * aspect;
            var y = MathF.Sin(t) * radii[i % points];
            return new SKPoint(cx + x * cos - y * sin, cy + x * sin + y * cos);
        }
        // Quadratic curves through edge midpoints give a smooth closed outline.
        var first = Mid(At(0), At(1));
        path.MoveTo(first);
        for (var i = 1; i <= points; i++) path.QuadTo(At(i), Mid(At(i), At(i + 1)));
        path.Close();
        return path;
    }

    /// <summary>A jagged open polyline of <paramref name="segments"/> steps from a start point in a wandering direction.</summary>
    public static SKPath Crack(SynthRandom rng, float x, float y, float length, int segments, float direction)
    {
        var path = new SKPath();
        path.MoveTo(x, y);
        var step = length / segments;
        for (var i = 0; i < segments; i++)
        {
            direction += rng.Range(-0.7f, 0.7f);
            x += MathF.Cos(direction) * step;
            y += MathF.Sin(direction) * step;
            path.LineTo(x, y);
        }
        return path;
    }

    /// <summary>A gently curved stroke path (a scratch) of the given length through a point.</summary>
    public static SKPath Arc(SynthRandom rng, float cx, float cy, float length, float direction)
    {
        var (dx, dy) = (MathF.Cos(direction) * length / 2, MathF.Sin(direction) * length / 2);
        var bend = rng.Range(-0.25f, 0.25f) * length;
        var path = new SKPath();
        path.MoveTo(cx - dx, cy - dy);
        path.QuadTo(cx - dy / (length / 2) * bend, cy + dx / (length / 2) * bend, cx + dx, cy + dy);
        return path;
    }

    /// <summary>A regular polygon (vertices jittered by <paramref name="jitter"/> reference pixels).</summary>
    public static SKPath Polygon(SynthRandom rng, float cx, float cy, float radius, int sides, float rotation, float jitter = 0)
    {
        var path = new SKPath();
        for (var i = 0; i < sides; i++)
        {
            var t = rotation + MathF.Tau * i / sides;
            var r = radius + (jitter > 0 ? rng.Range(-jitter, jitter) : 0);
            var p = new SKPoint(cx + MathF.Cos(t) * r, cy + MathF.Sin(t) * r);
            if (i == 0) path.MoveTo(p); else path.LineTo(p);
        }
        path.Close();
        return path;
    }

    /// <summary>
    /// Grey value noise for surface texture, drawn over <paramref name="area"/> (reference pixels) with
    /// <paramref name="blend"/>: two octaves of random lattices stretched with bilinear sampling. Far cheaper
    /// than Skia's Perlin shader on the CPU, which matters at a hundred images per second.
    /// </summary>
    public static void Noise(SKCanvas canvas, SynthRandom rng, SKRect area, float frequency, byte alpha, SKBlendMode blend)
    {
        using var paint = new SKPaint { BlendMode = blend, Color = new SKColor(255, 255, 255, alpha) };
        var sampling = new SKSamplingOptions(SKFilterMode.Linear);
        foreach (var octave in new[] { 1f, 2.3f })
        {
            var cellsX = Math.Clamp((int)MathF.Ceiling(area.Width * frequency * octave), 2, 512);
            var cellsY = Math.Clamp((int)MathF.Ceiling(area.Height * frequency * octave), 2, 512);
            using var lattice = new SKBitmap(new SKImageInfo(cellsX, cellsY, SKColorType.Rgba8888, SKAlphaType.Premul));
            var pixels = Pixels.Span(lattice);
            for (var i = 0; i < cellsX * cellsY; i++)
            {
                var v = (byte)rng.Int(0, 256);
                pixels[i * 4] = v; pixels[i * 4 + 1] = v; pixels[i * 4 + 2] = v; pixels[i * 4 + 3] = 255;
            }
            using var image = SKImage.FromBitmap(lattice);
            paint.Color = new SKColor(255, 255, 255, (byte)(alpha / octave));
            canvas.DrawImage(image, area, sampling, paint);
        }
    }

    static SKPoint Mid(SKPoint a, SKPoint b) => new((a.X + b.X) / 2, (a.Y + b.Y) / 2);
}

/// <summary>Smooth value noise in [-1, 1] for per-pixel surfaces (height fields, tissue).</summary>
static class ValueNoise
{
    public static float At(float x, float y, int seed)
    {
        var x0 = (int)MathF.Floor(x);
        var y0 = (int)MathF.Floor(y);
        var fx = x - x0;
        var fy = y - y0;
        var sx = fx * fx * (3 - 2 * fx);
        var sy = fy * fy * (3 - 2 * fy);
        var a = Lattice(x0, y0, seed) + (Lattice(x0 + 1, y0, seed) - Lattice(x0, y0, seed)) * sx;
        var b = Lattice(x0, y0 + 1, seed) + (Lattice(x0 + 1, y0 + 1, seed) - Lattice(x0, y0 + 1, seed)) * sx;
        return a + (b - a) * sy;
    }

    /// <summary>Two octaves at a base frequency (cycles per reference pixel).</summary>
    public static float Fractal(float x, float y, float frequency, int seed) =>
        0.67f * At(x * frequency, y * frequency, seed) + 0.33f * At(x * frequency * 2.1f, y * frequency * 2.1f, seed + 7919);

    static float Lattice(int x, int y, int seed)
    {
        unchecked
        {
            var h = (uint)(x * 374761393 + y * 668265263 + seed * 1442695041);
            h = (h ^ (h >> 13)) * 1274126177u;
            h ^= h >> 16;
            return (h & 0xFFFF) / 32767.5f - 1f;
        }
    }
}
