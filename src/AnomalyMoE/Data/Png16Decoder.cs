using System.Buffers.Binary;
using System.IO.Compression;

namespace AnomalyMoE.Data;

/// <summary>
/// Decodes 16-bit-per-sample PNG files exactly. SkiaSharp reports them as 8-bit and quantises gray ones to
/// 8 bits (RGB ones to half floats), so these files are read here: non-interlaced, colour types gray (0),
/// RGB (2), gray + alpha (4) and RGBA (6), all five row filters.
/// </summary>
internal static class Png16Decoder
{
    static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>True when the file is a PNG whose header says 16 bits per sample and no interlacing.</summary>
    public static bool Handles(string path)
    {
        Span<byte> head = stackalloc byte[29];
        try
        {
            using var stream = File.OpenRead(path);
            if (stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length) return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        return head[..8].SequenceEqual(Signature) && head.Slice(12, 4).SequenceEqual("IHDR"u8) && head[24] == 16 && head[28] == 0;
    }

    /// <summary>Decodes to 16-bit samples, <c>[H, W, 3]</c> RGB interleaved (gray repeated; alpha dropped).</summary>
    public static (int Width, int Height, ushort[] Rgb) Decode(string path)
    {
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, e.Message, e);
        }
        int width = 0, height = 0, colorType = -1;
        using var compressed = new MemoryStream();
        int at = 8;
        bool ended = false;
        while (at + 8 <= file.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            var type = file.AsSpan(at + 4, 4);
            if (length < 0 || at + 12 + (long)length > file.Length) break;
            var data = file.AsSpan(at + 8, length);
            if (type.SequenceEqual("IHDR"u8))
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                colorType = data[9];
            }
            else if (type.SequenceEqual("IDAT"u8)) compressed.Write(data);
            else if (type.SequenceEqual("IEND"u8)) { ended = true; break; }
            at += 12 + length;
        }
        if (!ended) throw new ImageDecodeException(path, "the file is truncated or corrupt.");
        int channels = colorType switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => 0 };
        if (channels == 0 || width <= 0 || height <= 0)
            throw new ImageDecodeException(path, $"unsupported 16-bit PNG (colour type {colorType}, {width}x{height}).");

        int bytesPerPixel = 2 * channels;
        long stride = (long)width * bytesPerPixel;
        var pixels = new byte[stride * height];
        compressed.Position = 0;
        try
        {
            using var inflate = new ZLibStream(compressed, CompressionMode.Decompress);
            var previous = new byte[stride];
            var row = new byte[stride];
            for (int y = 0; y < height; y++)
            {
                int filter = inflate.ReadByte();
                if (filter < 0) throw new ImageDecodeException(path, "the file is truncated or corrupt.");
                inflate.ReadExactly(row);
                Unfilter(filter, row, previous, bytesPerPixel, path);
                row.CopyTo(pixels, y * stride);
                (previous, row) = (row, previous);
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new ImageDecodeException(path, "the file is truncated or corrupt.", e);
        }

        var rgb = new ushort[(long)width * height * 3];
        for (long i = 0; i < (long)width * height; i++)
        {
            var pixel = pixels.AsSpan((int)(i * bytesPerPixel), bytesPerPixel);
            ushort first = BinaryPrimitives.ReadUInt16BigEndian(pixel);
            if (channels <= 2)
            {
                rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = first;
            }
            else
            {
                rgb[3 * i] = first;
                rgb[3 * i + 1] = BinaryPrimitives.ReadUInt16BigEndian(pixel[2..]);
                rgb[3 * i + 2] = BinaryPrimitives.ReadUInt16BigEndian(pixel[4..]);
            }
        }
        return (width, height, rgb);
    }

    static void Unfilter(int filter, byte[] row, byte[] previous, int bpp, string path)
    {
        switch (filter)
        {
            case 0:
                break;
            case 1:
                for (int i = bpp; i < row.Length; i++) row[i] += row[i - bpp];
                break;
            case 2:
                for (int i = 0; i < row.Length; i++) row[i] += previous[i];
                break;
            case 3:
                for (int i = 0; i < row.Length; i++) row[i] += (byte)(((i >= bpp ? row[i - bpp] : 0) + previous[i]) / 2);
                break;
            case 4:
                for (int i = 0; i < row.Length; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    row[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
                break;
            default:
                throw new ImageDecodeException(path, $"the file is corrupt (unknown PNG row filter {filter}).");
        }
    }
}
