using SkiaSharp;

namespace AnomalyMoE.Interactive.Rendering;

/// <summary>How maps are coloured and blended.</summary>
/// <param name="Opacity">Weight of the heat colour over the image (0 = image only, 1 = heat only).</param>
/// <param name="Range">Fixed (min, max) of the colour scale, shared by panels so they compare; null = each panel's own range.</param>
/// <param name="OutlineColor">Colour of the ground-truth outline (ARGB).</param>
/// <param name="PanelSize">Side in pixels each panel is drawn at.</param>
public sealed record OverlayOptions(double Opacity = 0.5, (float Min, float Max)? Range = null, uint OutlineColor = 0xFF00FF40, int PanelSize = 192)
{
    public static OverlayOptions Default { get; } = new();

    public OverlayOptions Validate()
    {
        if (Opacity is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(Opacity), Opacity, "Opacity must be in [0, 1].");
        if (PanelSize is < 8 or > 4096) throw new ArgumentOutOfRangeException(nameof(PanelSize), PanelSize, "PanelSize must be 8…4096 pixels.");
        if (Range is { } r && !(r.Max > r.Min)) throw new ArgumentOutOfRangeException(nameof(Range), Range, "Range max must exceed min.");
        return this;
    }
}

/// <summary>
/// Draws anomaly maps as a heat colour (a jet-like scale: blue low, red high) blended over the image, with the
/// ground-truth region outlined, and lays panels out as a captioned grid. Output: PNG bytes.
/// </summary>
public static class HeatmapOverlay
{
    /// <summary>One panel as an RGBA bitmap at its own resolution (caller disposes).</summary>
    public static SKBitmap Compose(MapPanel panel, OverlayOptions? options = null)
    {
        var o = (options ?? OverlayOptions.Default).Validate();
        panel.Validate();
        int h = panel.Height, w = panel.Width;
        var (lo, hi) = o.Range ?? RangeOf(panel.Map);
        var bitmap = new SKBitmap(w, h, SKColorType.Rgba8888, SKAlphaType.Premul);
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            int p = y * w + x;
            double r = panel.Rgb[3 * p], g = panel.Rgb[3 * p + 1], b = panel.Rgb[3 * p + 2];
            if (panel.Map is { } map)
            {
                var t = hi > lo ? Math.Clamp((map[p] - lo) / (hi - lo), 0, 1) : 0;
                var (hr, hg, hb) = Jet(t);
                r = (1 - o.Opacity) * r + o.Opacity * hr;
                g = (1 - o.Opacity) * g + o.Opacity * hg;
                b = (1 - o.Opacity) * b + o.Opacity * hb;
            }
            bitmap.SetPixel(x, y, new SKColor(ToByte(r), ToByte(g), ToByte(b)));
        }
        if (panel.Mask is { } mask)
        {
            var outline = new SKColor(o.OutlineColor);
            foreach (var (x, y) in Boundary(mask, h, w)) bitmap.SetPixel(x, y, outline);
        }
        return bitmap;
    }

    /// <summary>One panel as PNG bytes, scaled to <see cref="OverlayOptions.PanelSize"/>.</summary>
    public static byte[] RenderPng(MapPanel panel, OverlayOptions? options = null) => RenderGridPng([panel], columns: 1, options);

    /// <summary>Panels in a grid of <paramref name="columns"/> columns, each captioned with its title and score.</summary>
    public static byte[] RenderGridPng(IReadOnlyList<MapPanel> panels, int columns = 4, OverlayOptions? options = null)
    {
        var o = (options ?? OverlayOptions.Default).Validate();
        if (panels.Count == 0) throw new ArgumentException("No panels to render.", nameof(panels));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "columns must be at least 1.");
        columns = Math.Min(columns, panels.Count);
        int rows = (panels.Count + columns - 1) / columns, side = o.PanelSize, caption = 18, gap = 4;
        int width = columns * (side + gap) + gap, height = rows * (side + caption + gap) + gap;
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 12);
        using var smallFont = new SKFont(SKTypeface.Default, 10);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int i = 0; i < panels.Count; i++)
        {
            int col = i % columns, row = i / columns;
            float left = gap + col * (side + gap), top = gap + row * (side + caption + gap);
            using var bitmap = Compose(panels[i], o);
            using var image = SKImage.FromBitmap(bitmap);
            canvas.DrawImage(image, SKRect.Create(left, top + caption, side, side), new SKSamplingOptions(SKFilterMode.Linear));
            var score = panels[i].Score is { } s ? $"  {s:0.###}" : "";
            // A title too long for the panel first drops to the smaller font, and only then loses characters.
            var captionFont = font.MeasureText(panels[i].Title + score) <= side ? font : smallFont;
            canvas.DrawText(Fit(panels[i].Title, score, captionFont, side), left, top + caption - 5, SKTextAlign.Left, captionFont, text);
        }
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Pixels of the mask that touch a non-mask pixel (4-neighbourhood) or the border.</summary>
    public static IEnumerable<(int X, int Y)> Boundary(byte[] mask, int height, int width)
    {
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            if (mask[y * width + x] == 0) continue;
            bool edge = x == 0 || y == 0 || x == width - 1 || y == height - 1
                        || mask[y * width + x - 1] == 0 || mask[y * width + x + 1] == 0
                        || mask[(y - 1) * width + x] == 0 || mask[(y + 1) * width + x] == 0;
            if (edge) yield return (x, y);
        }
    }

    /// <summary>The jet-like colour of t ∈ [0, 1] as RGB in [0, 1]: blue → cyan → green → yellow → red.</summary>
    public static (double R, double G, double B) Jet(double t)
    {
        t = Math.Clamp(t, 0, 1);
        double r = Math.Clamp(1.5 - Math.Abs(4 * t - 3), 0, 1);
        double g = Math.Clamp(1.5 - Math.Abs(4 * t - 2), 0, 1);
        double b = Math.Clamp(1.5 - Math.Abs(4 * t - 1), 0, 1);
        return (r, g, b);
    }

    static (float Min, float Max) RangeOf(float[]? map)
    {
        if (map is null || map.Length == 0) return (0, 1);
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in map)
        {
            if (float.IsNaN(v)) continue;
            if (v < min) min = v;
            if (v > max) max = v;
        }
        return float.IsFinite(min) && float.IsFinite(max) ? (min, max) : (0, 1);
    }

    /// <summary>
    /// The title and its score in <paramref name="width"/> pixels: a long title loses characters from its middle (marked
    /// "…"), so its first words, its image name at the end and the score stay readable.
    /// </summary>
    internal static string Fit(string title, string score, SKFont font, int width)
    {
        if (font.MeasureText(title + score) <= width) return title + score;
        int keep = title.Length - 1;
        while (keep > 1)
        {
            int head = (keep + 1) / 2, tail = keep - head;
            var label = title[..head] + "…" + title[^tail..] + score;
            if (font.MeasureText(label) <= width) return label;
            keep--;
        }
        return title[..1] + "…" + score;
    }

    static byte ToByte(double v) => (byte)Math.Clamp(Math.Round(v * 255), 0, 255);
}
