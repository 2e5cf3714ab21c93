using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace AnomalyMoE.Synthetic;

/// <summary>
/// PNG encoding of rendered images, masks and depth maps, and atomic file writes. A small encoder of its
/// own (IHDR, one zlib IDAT, IEND, each with CRC-32) because SkiaSharp cannot write 16-bit grayscale and
/// its encoder's filter search costs more than the rendering; Sub filtering with fast zlib keeps
/// generation above a hundred images per second on two cores.
/// </summary>
public static class PngFiles
{
    static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>An opaque RGBA8888 bitmap as an 8-bit RGB PNG (colour type 2).</summary>
    public static byte[] EncodeRgb(SKBitmap bitmap)
    {
        var (width, height) = (bitmap.Width, bitmap.Height);
        var pixels = Pixels.Span(bitmap);
        if (bitmap.ColorType != SKColorType.Rgba8888) throw new ArgumentException($"Expected an RGBA8888 bitmap, got {bitmap.ColorType}.");
        var stride = width * 3;
        var raw = new byte[(1 + stride) * height];
        for (var y = 0; y < height; y++)
        {
            var row = raw.AsSpan(y * (1 + stride), 1 + stride);
            row[0] = 1; // Sub filter: each byte minus the same channel of the pixel to its left
            var source = pixels.Slice(y * width * 4, width * 4);
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                    row[1 + x * 3 + c] = (byte)(source[x * 4 + c] - (x > 0 ? source[x * 4 - 4 + c] : 0));
            }
        }
        return Assemble(width, height, bitDepth: 8, colourType: 2, raw);
    }

    /// <summary>Row-major 8-bit values as a grayscale PNG (colour type 0).</summary>
    public static byte[] EncodeGray8(ReadOnlySpan<byte> values, int size)
    {
        if (values.Length != size * size) throw new ArgumentException($"Expected {size * size} mask values, got {values.Length}.");
        var raw = new byte[(1 + size) * size];
        for (var y = 0; y < size; y++)
        {
            raw[y * (1 + size)] = 0;
            values.Slice(y * size, size).CopyTo(raw.AsSpan(y * (1 + size) + 1, size));
        }
        return Assemble(size, size, bitDepth: 8, colourType: 0, raw);
    }

    /// <summary>Row-major 16-bit values as a 16-bit grayscale PNG (colour type 0, big-endian samples).</summary>
    public static byte[] EncodeGray16(ReadOnlySpan<ushort> values, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"PNG size {width}×{height} must be positive.");
        if (values.Length != width * height)
            throw new ArgumentException($"Expected {width * height} depth values for {width}×{height}, got {values.Length}.");
        var rowBytes = 1 + width * 2;
        var raw = new byte[rowBytes * height];
        for (var y = 0; y < height; y++)
        {
            var row = raw.AsSpan(y * rowBytes, rowBytes);
            row[0] = 0; // filter: none
            for (var x = 0; x < width; x++) BinaryPrimitives.WriteUInt16BigEndian(row.Slice(1 + x * 2), values[y * width + x]);
        }
        return Assemble(width, height, bitDepth: 16, colourType: 0, raw);
    }

    static byte[] Assemble(int width, int height, byte bitDepth, byte colourType, byte[] filteredRows)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)height);
        header[8] = bitDepth;
        header[9] = colourType; // compression, filter and interlace methods stay 0
        using var png = new MemoryStream(filteredRows.Length / 2 + 64);
        png.Write(Signature);
        WriteChunk(png, "IHDR", header);
        using (var buffer = new MemoryStream(filteredRows.Length / 2 + 64))
        {
            using (var zlib = new ZLibStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) zlib.Write(filteredRows);
            WriteChunk(png, "IDAT", buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    static void WriteChunk(Stream stream, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        stream.Write(word);
        Span<byte> typeBytes = stackalloc byte[4];
        for (var i = 0; i < 4; i++) typeBytes[i] = (byte)type[i];
        stream.Write(typeBytes);
        stream.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(Crc32(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu);
        stream.Write(word);
    }

    /// <summary>The PNG/zlib CRC-32 (polynomial 0xEDB88320), continued from a pre-inverted <paramref name="crc"/>.</summary>
    internal static uint Crc32(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>Writes through a temporary file beside the target, then renames, so readers never see half a file.</summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write)) stream.Write(bytes);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
