using System.Buffers.Binary;
using System.IO.Compression;
using AnomalyMoE.Runtime;
using BitMiracle.LibTiff.Classic;
using SkiaSharp;

namespace AnomalyMoE.Data.Preparation;

/// <summary>A single-channel raster, row-major.</summary>
public sealed record GrayImage<T>(int Width, int Height, T[] Pixels);

/// <summary>
/// The pixel reading and writing the converters need: masks of any colour type binarised to 0/255,
/// 8-bit TIFF frames, float TIFF point clouds and 16-bit grayscale PNG (which SkiaSharp cannot write).
/// </summary>
public static class ImageFiles
{
    /// <summary>Decodes any image SkiaSharp reads (PNG, BMP, JPEG) and marks pixels whose colour is not black.</summary>
    /// <remarks>Class-id masks (VisA) and palette masks count any non-zero colour as defect, as anomalib's preparation does.</remarks>
    public static GrayImage<bool> ReadMaskNonZero(string path)
    {
        using var bitmap = DecodeRgba(path);
        var mask = new bool[bitmap.Width * bitmap.Height];
        var pixels = bitmap.Pixels;
        for (int i = 0; i < mask.Length; i++)
        {
            var c = pixels[i];
            mask[i] = c.Red != 0 || c.Green != 0 || c.Blue != 0;
        }
        return new GrayImage<bool>(bitmap.Width, bitmap.Height, mask);
    }

    /// <summary>Writes a mask as an 8-bit grayscale PNG holding only 0 and 255.</summary>
    public static void WriteBinaryMaskPng(string path, GrayImage<bool> mask)
    {
        var gray = new byte[mask.Pixels.Length];
        for (int i = 0; i < gray.Length; i++) gray[i] = mask.Pixels[i] ? (byte)255 : (byte)0;
        WriteGrayPng(path, new GrayImage<byte>(mask.Width, mask.Height, gray));
    }

    /// <summary>Writes an 8-bit grayscale PNG.</summary>
    public static void WriteGrayPng(string path, GrayImage<byte> image)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Gray8, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        System.Runtime.InteropServices.Marshal.Copy(image.Pixels, 0, bitmap.GetPixels(), image.Pixels.Length);
        Encode(path, bitmap);
    }

    /// <summary>Decodes an image and writes it as an opaque RGB PNG (alpha composited over black).</summary>
    public static void WriteOpaquePng(string source, string destination)
    {
        using var rgba = DecodeRgba(source);
        using var opaque = new SKBitmap(new SKImageInfo(rgba.Width, rgba.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(opaque))
        {
            canvas.Clear(SKColors.Black);
            canvas.DrawBitmap(rgba, 0, 0);
        }
        Encode(destination, opaque);
    }

    /// <summary>Reads the size of any image SkiaSharp decodes.</summary>
    public static (int Width, int Height) ReadSize(string path)
    {
        using var codec = SKCodec.Create(path) ?? throw new InvalidDataException($"{path} is not an image SkiaSharp can read.");
        return (codec.Info.Width, codec.Info.Height);
    }

    static SKBitmap DecodeRgba(string path)
    {
        using var codec = SKCodec.Create(path) ?? throw new InvalidDataException($"{path} is not an image SkiaSharp can read.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            bitmap.Dispose();
            throw new InvalidDataException($"{path} could not be decoded: {result}.");
        }
        return bitmap;
    }

    static void Encode(string path, SKBitmap bitmap)
    {
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
                         ?? throw new InvalidOperationException($"PNG encoding failed for {path}.");
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    /// <summary>Reads an 8-bit grayscale TIFF (UCSD Ped2 frames); colour TIFFs are reduced to their first sample.</summary>
    public static GrayImage<byte> ReadGrayTiff8(string path)
    {
        using var tiff = OpenTiff(path);
        int width = tiff.GetField(TiffTag.IMAGEWIDTH)[0].ToInt();
        int height = tiff.GetField(TiffTag.IMAGELENGTH)[0].ToInt();
        int bits = tiff.GetField(TiffTag.BITSPERSAMPLE)?[0].ToInt() ?? 8;
        int samples = tiff.GetField(TiffTag.SAMPLESPERPIXEL)?[0].ToInt() ?? 1;
        if (bits != 8) throw new InvalidDataException($"{path}: expected an 8-bit TIFF, found {bits} bits per sample.");
        var photometric = tiff.GetField(TiffTag.PHOTOMETRIC)?[0].ToInt() ?? (int)Photometric.MINISBLACK;
        var pixels = new byte[width * height];
        var row = new byte[tiff.ScanlineSize()];
        for (int y = 0; y < height; y++)
        {
            if (!tiff.ReadScanline(row, y)) throw new InvalidDataException($"{path}: cannot read row {y}.");
            for (int x = 0; x < width; x++)
            {
                byte v = row[x * samples];
                pixels[y * width + x] = photometric == (int)Photometric.MINISWHITE ? (byte)(255 - v) : v;
            }
        }
        return new GrayImage<byte>(width, height, pixels);
    }

    /// <summary>Reads a 32-bit float TIFF with three samples per pixel (MVTec 3D-AD's organised point cloud, x y z in metres).</summary>
    public static (int Width, int Height, float[] Xyz) ReadFloatTiffXyz(string path)
    {
        using var tiff = OpenTiff(path);
        int width = tiff.GetField(TiffTag.IMAGEWIDTH)[0].ToInt();
        int height = tiff.GetField(TiffTag.IMAGELENGTH)[0].ToInt();
        int bits = tiff.GetField(TiffTag.BITSPERSAMPLE)?[0].ToInt() ?? 0;
        int samples = tiff.GetField(TiffTag.SAMPLESPERPIXEL)?[0].ToInt() ?? 1;
        int format = tiff.GetField(TiffTag.SAMPLEFORMAT)?[0].ToInt() ?? (int)SampleFormat.UINT;
        var planar = tiff.GetField(TiffTag.PLANARCONFIG)?[0].ToInt() ?? (int)PlanarConfig.CONTIG;
        if (bits != 32 || samples != 3 || format != (int)SampleFormat.IEEEFP || planar != (int)PlanarConfig.CONTIG)
            throw new InvalidDataException(
                $"{path}: expected a 3-sample 32-bit float TIFF (interleaved), found {samples} samples of {bits} bits, sample format {format}, planar config {planar}.");
        var xyz = new float[width * height * 3];
        var row = new byte[tiff.ScanlineSize()];
        for (int y = 0; y < height; y++)
        {
            if (!tiff.ReadScanline(row, y)) throw new InvalidDataException($"{path}: cannot read row {y}.");
            Buffer.BlockCopy(row, 0, xyz, y * width * 3 * sizeof(float), width * 3 * sizeof(float));
        }
        return (width, height, xyz);
    }

    static Tiff OpenTiff(string path)
    {
        Tiff.SetErrorHandler(QuietTiffErrors.Instance);
        return Tiff.Open(path, "r") ?? throw new InvalidDataException($"{path} is not a TIFF file LibTiff.NET can read.");
    }

    sealed class QuietTiffErrors : TiffErrorHandler
    {
        public static readonly QuietTiffErrors Instance = new();
        public override void WarningHandler(Tiff tif, string method, string format, params object[] args) { }
        public override void WarningHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }
    }

    /// <summary>Writes a 16-bit grayscale PNG (big-endian samples, filter 0, zlib); SkiaSharp has no 16-bit gray encoder.</summary>
    public static void WriteGray16Png(string path, GrayImage<ushort> image)
    {
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), image.Height);
        header[8] = 16; // bit depth
        header[9] = 0;  // grayscale
        WriteChunk(file, "IHDR", header);
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            var row = new byte[1 + image.Width * 2];
            for (int y = 0; y < image.Height; y++)
            {
                row[0] = 0;
                for (int x = 0; x < image.Width; x++)
                    BinaryPrimitives.WriteUInt16BigEndian(row.AsSpan(1 + 2 * x), image.Pixels[y * image.Width + x]);
                z.Write(row);
            }
        }
        WriteChunk(file, "IDAT", raw.ToArray());
        WriteChunk(file, "IEND", []);
    }

    /// <summary>Reads a 16-bit grayscale, non-interlaced PNG such as <see cref="WriteGray16Png"/> writes (all five row filters).</summary>
    public static GrayImage<ushort> ReadGray16Png(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8 || bytes[1] != 'P' || bytes[2] != 'N' || bytes[3] != 'G') throw new InvalidDataException($"{path} is not a PNG file.");
        int width = 0, height = 0;
        using var idat = new MemoryStream();
        for (int at = 8; at + 8 <= bytes.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(bytes, at + 4, 4);
            var data = bytes.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                if (data[8] != 16 || data[9] != 0 || data[12] != 0)
                    throw new InvalidDataException($"{path}: expected a non-interlaced 16-bit grayscale PNG.");
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            at += 12 + length;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        int stride = width * 2;
        var previous = new byte[stride];
        var current = new byte[stride];
        var pixels = new ushort[width * height];
        for (int y = 0; y < height; y++)
        {
            int filter = z.ReadByte();
            z.ReadExactly(current);
            Unfilter(filter, current, previous, bytesPerPixel: 2, path);
            for (int x = 0; x < width; x++) pixels[y * width + x] = BinaryPrimitives.ReadUInt16BigEndian(current.AsSpan(2 * x));
            (previous, current) = (current, previous);
        }
        return new GrayImage<ushort>(width, height, pixels);
    }

    static void Unfilter(int filter, byte[] row, byte[] above, int bytesPerPixel, string path)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int left = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0;
            int up = above[i];
            int upLeft = i >= bytesPerPixel ? above[i - bytesPerPixel] : 0;
            row[i] = filter switch
            {
                0 => row[i],
                1 => (byte)(row[i] + left),
                2 => (byte)(row[i] + up),
                3 => (byte)(row[i] + (left + up) / 2),
                4 => (byte)(row[i] + Paeth(left, up, upLeft)),
                _ => throw new InvalidDataException($"{path}: unknown PNG row filter {filter}."),
            };
        }
    }

    static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    static void WriteChunk(Stream output, string type, byte[] data)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, data.Length);
        output.Write(four);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        uint crc = Crc32(Crc32(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(four, crc);
        output.Write(four);
    }

    static readonly uint[] CrcTable = BuildCrcTable();

    static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    static uint Crc32(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }
}
