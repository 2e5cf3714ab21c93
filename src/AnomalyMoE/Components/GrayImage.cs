using AnomalyMoE.Runtime;
using SkiaSharp;

namespace AnomalyMoE.Components;

/// <summary>An 8-bit grayscale image, row-major, with the few operations the released component masks need.</summary>
public sealed class GrayImage
{
    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    public GrayImage(int width, int height, byte[] pixels)
    {
        if (width <= 0 || height <= 0 || pixels.Length != width * height)
            throw new ArgumentException($"A {width}×{height} gray image needs {width * height} pixels; got {pixels.Length}.");
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public byte this[int y, int x] => Pixels[y * Width + x];

    /// <summary>
    /// Decodes an image file (JPEG, PNG, BMP, …) with SkiaSharp and converts it to luma with PIL's "L" weights
    /// (299/587/114 per mille, fixed-point rounding), as the reference's <c>Image.open(...).convert("L")</c>.
    /// </summary>
    public static GrayImage Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Mask image not found: {path}", path);
        using var decoded = SKBitmap.Decode(path) ?? throw new AnomalyMoEException($"'{path}' is not a decodable image.");
        using var rgba = decoded.Copy(SKColorType.Rgba8888) ?? throw new AnomalyMoEException($"'{path}' could not be converted to RGBA.");
        var bytes = rgba.GetPixelSpan();
        var pixels = new byte[decoded.Width * decoded.Height];
        for (int i = 0; i < pixels.Length; i++)
        {
            int r = bytes[4 * i], g = bytes[4 * i + 1], b = bytes[4 * i + 2];
            pixels[i] = (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
        }
        return new GrayImage(decoded.Width, decoded.Height, pixels);
    }

    /// <summary>Nearest-neighbour resize with PIL's pixel-centre convention: source = ⌊(dst + 0.5)·in/out⌋.</summary>
    public GrayImage ResizeNearest(int width, int height)
    {
        var result = new byte[width * height];
        double sx = (double)Width / width, sy = (double)Height / height;
        for (int y = 0; y < height; y++)
        {
            var srcY = Math.Min(Height - 1, (int)((y + 0.5) * sy));
            for (int x = 0; x < width; x++)
            {
                var srcX = Math.Min(Width - 1, (int)((x + 0.5) * sx));
                result[y * width + x] = Pixels[srcY * Width + srcX];
            }
        }
        return new GrayImage(width, height, result);
    }

    /// <summary>The <paramref name="width"/>×<paramref name="height"/> region whose top-left pixel is (<paramref name="left"/>, <paramref name="top"/>).</summary>
    public GrayImage Crop(int left, int top, int width, int height)
    {
        if (left < 0 || top < 0 || left + width > Width || top + height > Height || width <= 0 || height <= 0)
            throw new ArgumentException($"Crop ({left},{top}) {width}×{height} does not fit a {Width}×{Height} image.");
        var result = new byte[width * height];
        for (int y = 0; y < height; y++) Array.Copy(Pixels, (top + y) * Width + left, result, y * width, width);
        return new GrayImage(width, height, result);
    }

    /// <summary>k×k box filter with reflect-101 borders and rounding to 8 bits, as OpenCV's <c>cv2.blur</c>.</summary>
    public GrayImage BoxBlur(int kernel)
    {
        var r = kernel / 2;
        var result = new byte[Pixels.Length];
        for (int y = 0; y < Height; y++)
        for (int x = 0; x < Width; x++)
        {
            int sum = 0;
            for (int dy = -r; dy <= r; dy++)
            {
                var yy = Reflect101(y + dy, Height);
                for (int dx = -r; dx <= r; dx++) sum += Pixels[yy * Width + Reflect101(x + dx, Width)];
            }
            result[y * Width + x] = (byte)Math.Clamp(Math.Round((double)sum / (kernel * kernel), MidpointRounding.ToEven), 0, 255);
        }
        return new GrayImage(Width, Height, result);
    }

    static int Reflect101(int i, int n)
    {
        if (n == 1) return 0;
        while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
        return i;
    }
}

/// <summary>Otsu's threshold of 8-bit values, computed as OpenCV's <c>THRESH_OTSU</c> does.</summary>
public static class OtsuThreshold
{
    /// <summary>
    /// The threshold t maximising the between-class variance of the classes ≤ t and &gt; t (OpenCV's loop, including its
    /// skipping of bins where either class is empty); binarise with <c>value &gt; t</c>.
    /// </summary>
    public static int Compute(ReadOnlySpan<byte> values)
    {
        if (values.Length == 0) throw new ArgumentException("Otsu's threshold needs at least one value.", nameof(values));
        var histogram = new int[256];
        foreach (var v in values) histogram[v]++;
        double scale = 1.0 / values.Length, mu = 0;
        for (int i = 0; i < 256; i++) mu += i * (double)histogram[i];
        mu *= scale;
        double mu1 = 0, q1 = 0, maxSigma = 0;
        int best = 0;
        const double eps = 1.1920928955078125e-07; // FLT_EPSILON
        for (int i = 0; i < 256; i++)
        {
            var p = histogram[i] * scale;
            mu1 *= q1;
            q1 += p;
            var q2 = 1.0 - q1;
            if (Math.Min(q1, q2) < eps || Math.Max(q1, q2) > 1.0 - eps) continue;
            mu1 = (mu1 + i * p) / q1;
            var mu2 = (mu - q1 * mu1) / q2;
            var sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
            if (sigma > maxSigma)
            {
                maxSigma = sigma;
                best = i;
            }
        }
        return best;
    }
}
