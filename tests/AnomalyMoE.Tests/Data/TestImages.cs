using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace AnomalyMoE.Tests.Data;

/// <summary>Writes small test images: PNG, JPEG via SkiaSharp; BMP and 16-bit PNG by hand (SkiaSharp encodes neither).</summary>
public static class TestImages
{
    public delegate (byte R, byte G, byte B) PixelFunc(int x, int y);

    public static string WritePng(string path, int width, int height, PixelFunc pixel) =>
        Encode(path, width, height, pixel, SKEncodedImageFormat.Png, 100);

    public static string WriteJpeg(string path, int width, int height, PixelFunc pixel, int quality = 100) =>
        Encode(path, width, height, pixel, SKEncodedImageFormat.Jpeg, quality);

    /// <summary>A solid-colour PNG.</summary>
    public static string WriteSolidPng(string path, int width, int height, byte r = 120, byte g = 80, byte b = 40) =>
        WritePng(path, width, height, (_, _) => (r, g, b));

    /// <summary>An 8-bit grayscale PNG (colour type 0).</summary>
    public static string WriteGrayPng(string path, int width, int height, Func<int, int, byte> value)
    {
        var raw = new byte[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                raw[y * width + x] = value(x, y);
        return WriteRawPng(path, width, height, raw, bitDepth: 8, colorType: 0);
    }

    /// <summary>An RGBA PNG (unpremultiplied, so colour under partial transparency is stored as given).</summary>
    public static string WriteRgbaPng(string path, int width, int height, Func<int, int, (byte R, byte G, byte B, byte A)> pixel)
    {
        var raw = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, b, a) = pixel(x, y);
                int i = 4 * (y * width + x);
                raw[i] = r; raw[i + 1] = g; raw[i + 2] = b; raw[i + 3] = a;
            }
        return WriteRawPng(path, width, height, raw, bitDepth: 8, colorType: 6);
    }

    /// <summary>A 16-bit PNG: RGB (colour type 2) when <paramref name="rgb"/> is true, else gray (type 0).</summary>
    public static string Write16BitPng(string path, int width, int height, bool rgb, Func<int, int, int, ushort> sample) =>
        Write16BitPng(path, width, height, rgb ? 3 : 1, sample, cycleFilters: false);

    /// <summary>
    /// A 16-bit PNG with 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA) channels; with <paramref name="cycleFilters"/>
    /// row y is stored with PNG filter y mod 5 (None, Sub, Up, Average, Paeth) so a decoder must undo all five.
    /// </summary>
    public static string Write16BitPng(string path, int width, int height, int channels, Func<int, int, int, ushort> sample, bool cycleFilters)
    {
        var raw = new byte[width * height * channels * 2];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < channels; c++)
                    BinaryPrimitives.WriteUInt16BigEndian(raw.AsSpan(2 * ((y * width + x) * channels + c)), sample(x, y, c));
        byte colorType = channels switch { 1 => 0, 2 => 4, 3 => 2, 4 => 6, _ => throw new ArgumentOutOfRangeException(nameof(channels)) };
        return WriteRawPng(path, width, height, raw, bitDepth: 16, colorType, cycleFilters ? 2 * channels : 0);
    }

    /// <summary>A 24-bit BMP (bottom-up rows padded to 4 bytes).</summary>
    public static string WriteBmp(string path, int width, int height, PixelFunc pixel)
    {
        int rowSize = (width * 3 + 3) & ~3;
        int dataSize = rowSize * height;
        var bytes = new byte[54 + dataSize];
        bytes[0] = (byte)'B'; bytes[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(34), dataSize);
        for (int y = 0; y < height; y++)
        {
            int row = 54 + (height - 1 - y) * rowSize;
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(x, y);
                bytes[row + 3 * x] = b; bytes[row + 3 * x + 1] = g; bytes[row + 3 * x + 2] = r;
            }
        }
        EnsureFolder(path);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A binary mask PNG (grayscale 0 / <paramref name="on"/>).</summary>
    public static string WriteMask(string path, int width, int height, Func<int, int, bool> anomalous, byte on = 255) =>
        WriteGrayPng(path, width, height, (x, y) => anomalous(x, y) ? on : (byte)0);

    static string Encode(string path, int width, int height, PixelFunc pixel, SKEncodedImageFormat format, int quality)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(x, y);
                bitmap.SetPixel(x, y, new SKColor(r, g, b));
            }
        return Save(path, bitmap, format, quality);
    }

    static string Save(string path, SKBitmap bitmap, SKEncodedImageFormat format, int quality)
    {
        EnsureFolder(path);
        using var data = bitmap.Encode(format, quality) ?? throw new InvalidOperationException($"SkiaSharp could not encode {format}.");
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    static void EnsureFolder(string path) => Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);

    // A minimal PNG writer: IHDR, one zlib IDAT with filter 0 on every row, IEND.
    static string WriteRawPng(string path, int width, int height, byte[] raw, byte bitDepth, byte colorType, int filterBytesPerPixel = 0)
    {
        int rowBytes = raw.Length / height;
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            var previous = new byte[rowBytes];
            for (int y = 0; y < height; y++)
            {
                var row = raw.AsSpan(y * rowBytes, rowBytes);
                int filter = filterBytesPerPixel > 0 ? y % 5 : 0;
                z.WriteByte((byte)filter);
                z.Write(Filter(filter, row, previous, filterBytesPerPixel));
                previous = row.ToArray();
            }
        }
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = bitDepth; header[9] = colorType;
        using var file = new MemoryStream();
        file.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(file, "IHDR", header);
        WriteChunk(file, "IDAT", compressed.ToArray());
        WriteChunk(file, "IEND", []);
        EnsureFolder(path);
        File.WriteAllBytes(path, file.ToArray());
        return path;
    }

    static byte[] Filter(int filter, ReadOnlySpan<byte> row, byte[] previous, int bpp)
    {
        var result = new byte[row.Length];
        for (int i = 0; i < row.Length; i++)
        {
            int left = i >= bpp ? row[i - bpp] : 0, up = previous[i], upLeft = i >= bpp ? previous[i - bpp] : 0;
            int predictor = filter switch
            {
                0 => 0,
                1 => left,
                2 => up,
                3 => (left + up) / 2,
                _ => Paeth(left, up, upLeft),
            };
            result[i] = (byte)(row[i] - predictor);
        }
        return result;
    }

    static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        var typeAndData = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typeAndData);
        data.CopyTo(typeAndData, 4);
        stream.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        stream.Write(word);
    }

    static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
