using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace AnomalyMoE.Imaging;

/// <summary>A decoded 16-bit PNG: <see cref="Channels"/> samples per pixel, row-major and interleaved (gray, gray + alpha, RGB or RGBA).</summary>
public sealed record Png16Image(int Width, int Height, int Channels, ushort[] Samples);

/// <summary>
/// The project's own PNG encoder and 16-bit decoder. SkiaSharp cannot write 16-bit grayscale, reads 16-bit
/// files as 8-bit (quantising gray ones), and its encoder's filter search costs more than rendering a
/// synthetic image; this writes IHDR, one zlib IDAT and IEND, each with its CRC-32, and reads non-interlaced
/// 16-bit files exactly (all five row filters).
/// </summary>
public static class PngCodec
{
    static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>An opaque RGBA8888 bitmap as an 8-bit RGB PNG (colour type 2), Sub-filtered.</summary>
    public static byte[] EncodeRgb(SKBitmap bitmap)
    {
        if (bitmap.ColorType != SKColorType.Rgba8888) throw new ArgumentException($"Expected an RGBA8888 bitmap, got {bitmap.ColorType}.", nameof(bitmap));
        var (width, height) = (bitmap.Width, bitmap.Height);
        var pixels = bitmap.GetPixelSpan();
        var stride = width * 3;
        var raw = new byte[(1 + stride) * height];
        for (var y = 0; y < height; y++)
        {
            var row = raw.AsSpan(y * (1 + stride), 1 + stride);
            row[0] = 1; // Sub filter: each byte minus the same channel of the pixel to its left
            var source = pixels.Slice(y * bitmap.RowBytes, width * 4);
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                    row[1 + x * 3 + c] = (byte)(source[x * 4 + c] - (x > 0 ? source[x * 4 - 4 + c] : 0));
            }
        }
        return Assemble(width, height, bitDepth: 8, colourType: 2, raw);
    }

    /// <summary>Row-major 8-bit values as a grayscale PNG (colour type 0).</summary>
    public static byte[] EncodeGray8(ReadOnlySpan<byte> values, int width, int height)
    {
        CheckSize(values.Length, width, height);
        var raw = new byte[(1 + width) * height];
        for (var y = 0; y < height; y++)
        {
            raw[y * (1 + width)] = 0; // filter: none
            values.Slice(y * width, width).CopyTo(raw.AsSpan(y * (1 + width) + 1, width));
        }
        return Assemble(width, height, bitDepth: 8, colourType: 0, raw);
    }

    /// <summary>Row-major 16-bit values as a 16-bit grayscale PNG (colour type 0, big-endian samples).</summary>
    public static byte[] EncodeGray16(ReadOnlySpan<ushort> values, int width, int height)
    {
        CheckSize(values.Length, width, height);
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

    static void CheckSize(int count, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"PNG size {width}×{height} must be positive.");
        if (count != width * height)
            throw new ArgumentException($"Expected {width * height} values for {width}×{height}, got {count}.");
    }

    /// <summary>
    /// A PNG file from rows that are already filtered (each row: its filter type byte, then the filtered samples),
    /// compressed with fast zlib: the filtering, not the compression level, is what keeps these files small.
    /// </summary>
    internal static byte[] Assemble(int width, int height, byte bitDepth, byte colourType, ReadOnlySpan<byte> filteredRows)
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
    static uint Crc32(uint crc, ReadOnlySpan<byte> data)
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

    /// <summary>True when the file is a PNG whose header says 16 bits per sample and no interlacing; false for anything else, unreadable files included.</summary>
    public static bool IsSixteenBit(string path)
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

    /// <summary>
    /// Decodes a non-interlaced 16-bit PNG (colour types 0, 2, 4, 6). Throws <see cref="InvalidDataException"/>
    /// with a reason (without the file name, which the caller adds) for anything else or a damaged file.
    /// </summary>
    public static Png16Image DecodeSixteenBit(ReadOnlySpan<byte> file)
    {
        if (file.Length < 8 || !file[..8].SequenceEqual(Signature)) throw new InvalidDataException("not a PNG file.");
        int width = 0, height = 0, bitDepth = 0, colourType = -1, interlace = 0;
        using var compressed = new MemoryStream();
        int at = 8;
        bool ended = false;
        while (at + 8 <= file.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file[at..]);
            var type = file.Slice(at + 4, 4);
            if (length < 0 || at + 12 + (long)length > file.Length) break;
            var data = file.Slice(at + 8, length);
            if (type.SequenceEqual("IHDR"u8) && length >= 13)
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                bitDepth = data[8];
                colourType = data[9];
                interlace = data[12];
            }
            else if (type.SequenceEqual("IDAT"u8)) compressed.Write(data);
            else if (type.SequenceEqual("IEND"u8)) { ended = true; break; }
            at += 12 + length;
        }
        if (!ended) throw new InvalidDataException("the file is truncated or corrupt.");
        int channels = colourType switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => 0 };
        if (channels == 0 || bitDepth != 16 || interlace != 0 || width <= 0 || height <= 0)
            throw new InvalidDataException(
                $"unsupported PNG (expected 16 bits per sample, not interlaced; found colour type {colourType}, {bitDepth} bits, interlace {interlace}, {width}x{height}).");

        int bytesPerPixel = 2 * channels;
        int stride = checked(width * bytesPerPixel);
        var samples = new ushort[checked(width * height * channels)];
        compressed.Position = 0;
        using var inflate = new ZLibStream(compressed, CompressionMode.Decompress);
        var previous = new byte[stride];
        var row = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            int filter;
            try
            {
                filter = inflate.ReadByte();
                if (filter < 0) throw new EndOfStreamException();
                inflate.ReadExactly(row);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
                throw new InvalidDataException("the file is truncated or corrupt.", e);
            }
            Unfilter(filter, row, previous, bytesPerPixel);
            var target = samples.AsSpan(y * width * channels, width * channels);
            for (int i = 0; i < target.Length; i++) target[i] = BinaryPrimitives.ReadUInt16BigEndian(row.AsSpan(2 * i));
            (previous, row) = (row, previous);
        }
        return new Png16Image(width, height, channels, samples);
    }

    /// <summary>Undoes one row's filter in place, given the unfiltered row above (zeros for the first row).</summary>
    static void Unfilter(int filter, byte[] row, byte[] previous, int bpp)
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
                    row[i] += (byte)Paeth(a, b, c);
                }
                break;
            default:
                throw new InvalidDataException($"the file is corrupt (unknown PNG row filter {filter}).");
        }
    }

    /// <summary>The Paeth predictor of PNG filter type 4: whichever of left, up and upper-left is nearest to left + up − upper-left.</summary>
    internal static int Paeth(int left, int up, int upLeft)
    {
        int p = left + up - upLeft, pa = Math.Abs(p - left), pb = Math.Abs(p - up), pc = Math.Abs(p - upLeft);
        return pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
    }
}
