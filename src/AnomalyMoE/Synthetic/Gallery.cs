using AnomalyMoE.Runtime;
using SkiaSharp;

namespace AnomalyMoE.Synthetic;

/// <summary>
/// A contact sheet for people to look at: per category a row of normal samples, then one example of
/// every anomaly type with its mask outlined in red, and for 3D categories the depth map of the last
/// example. Captions use a built-in pixel font so the sheet needs no system fonts.
/// </summary>
public static class Gallery
{
    const int Pad = 6, Caption = 14, TextScale = 2;

    /// <summary>Renders the sheet and writes it atomically as PNG.</summary>
    public static void Write(string path, IReadOnlyList<string> families, int seed = 0, int tileSize = 160, int normals = 3)
    {
        using var sheet = Render(families, seed, tileSize, normals);
        AtomicFile.Write(path, PngFiles.EncodeRgb(sheet));
    }

    public static SKBitmap Render(IReadOnlyList<string> families, int seed = 0, int tileSize = 160, int normals = 3)
    {
        if (tileSize is < 32 or > 1024) throw new AnomalyMoEException($"Gallery tile size {tileSize} is out of range: use 32 to 1024 pixels.");
        if (normals is < 1 or > 10) throw new AnomalyMoEException($"Gallery normal samples per row {normals} is out of range: use 1 to 10.");
        var categories = families.SelectMany(SyntheticFamilies.Categories).ToArray();
        var columns = categories.Max(c => normals + c.AnomalyKinds.Count + (c.HasDepth ? 1 : 0));
        var rowHeight = Caption + tileSize + Caption + Pad;
        var width = Pad + columns * (tileSize + Pad);
        var height = Pad + categories.Length * rowHeight;
        var sheet = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(sheet);
        canvas.Clear(new SKColor(250, 250, 250));
        for (var row = 0; row < categories.Length; row++)
        {
            var category = categories[row];
            var top = Pad + row * rowHeight;
            PixelFont.Draw(canvas, category.ToString(), Pad, top + 2, TextScale, new SKColor(20, 20, 20));
            var column = 0;
            SyntheticSample? last = null;
            for (var n = 0; n < normals; n++)
            {
                using var sample = category.Render(seed, "train", n, null, tileSize);
                Place(canvas, sample, null, "good", Pad + column++ * (tileSize + Pad), top + Caption);
            }
            foreach (var kind in category.AnomalyKinds)
            {
                last?.Dispose();
                last = category.Render(seed, "test", column, kind, tileSize);
                Place(canvas, last, last.Mask, $"{kind.Name} ({AnomalyKind.LevelName(kind.Level)[..4]})", Pad + column++ * (tileSize + Pad), top + Caption);
            }
            if (last?.Depth is { } depth)
            {
                using var view = DepthView(depth, tileSize);
                canvas.DrawBitmap(view, Pad + column * (tileSize + Pad), top + Caption);
                PixelFont.Draw(canvas, "depth", Pad + column * (tileSize + Pad), top + Caption + tileSize + 2, TextScale, new SKColor(60, 60, 60));
            }
            last?.Dispose();
        }
        return sheet;
    }

    static void Place(SKCanvas canvas, SyntheticSample sample, byte[]? mask, string caption, int x, int y)
    {
        using var tile = sample.Image.Copy();
        if (mask != null) Outline(tile, mask);
        canvas.DrawBitmap(tile, x, y);
        // Long captions drop to the small font so they stay under their own tile.
        var scale = caption.Length * 4 * TextScale <= tile.Width ? TextScale : 1;
        PixelFont.Draw(canvas, caption, x, y + tile.Height + 2, scale, mask == null ? new SKColor(60, 60, 60) : new SKColor(170, 20, 20));
    }

    /// <summary>Paints the mask's boundary (mask pixels with an unmasked 4-neighbour, thickened by one) red.</summary>
    static void Outline(SKBitmap tile, byte[] mask)
    {
        var size = tile.Width;
        var pixels = Pixels.Span(tile);
        var edge = new bool[mask.Length];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var p = y * size + x;
                if (mask[p] == 0) continue;
                edge[p] = x == 0 || y == 0 || x == size - 1 || y == size - 1
                          || mask[p - 1] == 0 || mask[p + 1] == 0 || mask[p - size] == 0 || mask[p + size] == 0;
            }
        }
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                if (!edge[y * size + x]) continue;
                for (var dy = -1; dy <= 0; dy++)
                {
                    for (var dx = -1; dx <= 0; dx++)
                    {
                        var (xx, yy) = (x + dx, y + dy);
                        if (xx < 0 || yy < 0) continue;
                        var i = (yy * size + xx) * 4;
                        pixels[i] = 255; pixels[i + 1] = 0; pixels[i + 2] = 0;
                    }
                }
            }
        }
    }

    /// <summary>Depth stretched to its own range, near = bright.</summary>
    static SKBitmap DepthView(ushort[] depth, int size)
    {
        var (min, max) = (depth.Min(), depth.Max());
        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = Pixels.Span(bitmap);
        for (var p = 0; p < depth.Length; p++)
        {
            var v = (byte)(255 * (max - depth[p]) / Math.Max(1, max - min));
            pixels[p * 4] = v; pixels[p * 4 + 1] = v; pixels[p * 4 + 2] = v; pixels[p * 4 + 3] = 255;
        }
        return bitmap;
    }
}

/// <summary>A 3 × 5 pixel font for captions (letters, digits and a little punctuation).</summary>
static class PixelFont
{
    static readonly Dictionary<char, string> Glyphs = new()
    {
        ['A'] = "010101111101101", ['B'] = "110101110101110", ['C'] = "011100100100011", ['D'] = "110101101101110",
        ['E'] = "111100110100111", ['F'] = "111100110100100", ['G'] = "011100101101011", ['H'] = "101101111101101",
        ['I'] = "111010010010111", ['J'] = "001001001101010", ['K'] = "101101110101101", ['L'] = "100100100100111",
        ['M'] = "101111111101101", ['N'] = "110101101101101", ['O'] = "010101101101010", ['P'] = "110101110100100",
        ['Q'] = "010101101110011", ['R'] = "110101110101101", ['S'] = "011100010001110", ['T'] = "111010010010010",
        ['U'] = "101101101101011", ['V'] = "101101101010010", ['W'] = "101101111111101", ['X'] = "101101010101101",
        ['Y'] = "101101010010010", ['Z'] = "111001010100111",
        ['0'] = "111101101101111", ['1'] = "010110010010111", ['2'] = "110001010100111", ['3'] = "110001010001110",
        ['4'] = "101101111001001", ['5'] = "111100110001110", ['6'] = "011100111101111", ['7'] = "111001010010010",
        ['8'] = "111101111101111", ['9'] = "111101111001110",
        ['_'] = "000000000000111", ['-'] = "000000111000000", ['/'] = "001001010100100", ['.'] = "000000000000010",
        ['('] = "010100100100010", [')'] = "010001001001010", [' '] = "000000000000000",
    };

    public static void Draw(SKCanvas canvas, string text, float x, float y, int scale, SKColor color)
    {
        using var paint = new SKPaint { Color = color, IsAntialias = false, Style = SKPaintStyle.Fill };
        foreach (var ch in text.ToUpperInvariant())
        {
            if (Glyphs.TryGetValue(ch, out var glyph))
            {
                for (var i = 0; i < 15; i++)
                {
                    if (glyph[i] == '1') canvas.DrawRect(x + i % 3 * scale, y + i / 3 * scale, scale, scale, paint);
                }
            }
            x += 4 * scale;
        }
    }
}
