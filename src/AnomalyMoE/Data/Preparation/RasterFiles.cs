using AnomalyMoE.Imaging;
using AnomalyMoE.Runtime;
using BitMiracle.LibTiff.Classic;
using SkiaSharp;

namespace AnomalyMoE.Data.Preparation;

/// <summary>A single-channel raster, row-major.</summary>
public sealed record Raster<T>(int Width, int Height, T[] Pixels);

/// <summary>
/// The pixel reading and writing the converters need: masks of any colour type binarised to 0/255,
/// 8-bit TIFF frames, float TIFF point clouds, and PNG output (8-bit gray, RGB, 16-bit gray) through <see cref="PngCodec"/>.
/// </summary>
public static class RasterFiles
{
    /// <summary>Decodes any image SkiaSharp reads (PNG, BMP, JPEG) and marks pixels whose colour is not black.</summary>
    /// <remarks>Class-id masks (VisA) and palette masks count any non-zero colour as defect, as anomalib's preparation does.</remarks>
    public static Raster<bool> ReadMaskNonZero(string path)
    {
        using var bitmap = DecodeRgba(path);
        var mask = new bool[bitmap.Width * bitmap.Height];
        var pixels = bitmap.Pixels;
        for (int i = 0; i < mask.Length; i++)
        {
            var c = pixels[i];
            mask[i] = c.Red != 0 || c.Green != 0 || c.Blue != 0;
        }
        return new Raster<bool>(bitmap.Width, bitmap.Height, mask);
    }

    /// <summary>Writes a mask as an 8-bit grayscale PNG holding only 0 and 255.</summary>
    public static void WriteBinaryMaskPng(string path, Raster<bool> mask)
    {
        var gray = new byte[mask.Pixels.Length];
        for (int i = 0; i < gray.Length; i++) gray[i] = mask.Pixels[i] ? (byte)255 : (byte)0;
        WriteGrayPng(path, new Raster<byte>(mask.Width, mask.Height, gray));
    }

    /// <summary>Writes an 8-bit grayscale PNG.</summary>
    public static void WriteGrayPng(string path, Raster<byte> image) =>
        AtomicFile.Write(path, PngCodec.EncodeGray8(image.Pixels, image.Width, image.Height));

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
        AtomicFile.Write(destination, PngCodec.EncodeRgb(opaque));
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

    /// <summary>Reads an 8-bit grayscale TIFF (UCSD Ped2 frames); colour TIFFs are reduced to their first sample.</summary>
    public static Raster<byte> ReadGrayTiff8(string path)
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
        return new Raster<byte>(width, height, pixels);
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

    /// <summary>Writes a 16-bit grayscale PNG (SkiaSharp has no 16-bit gray encoder).</summary>
    public static void WriteGray16Png(string path, Raster<ushort> image) =>
        AtomicFile.Write(path, PngCodec.EncodeGray16(image.Pixels, image.Width, image.Height));

    /// <summary>Reads a 16-bit grayscale, non-interlaced PNG such as <see cref="WriteGray16Png"/> writes.</summary>
    public static Raster<ushort> ReadGray16Png(string path)
    {
        Png16Image image;
        try
        {
            image = PngCodec.DecodeSixteenBit(File.ReadAllBytes(path));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        if (image.Channels != 1) throw new InvalidDataException($"{path}: expected a 16-bit grayscale PNG, found {image.Channels} channels.");
        return new Raster<ushort>(image.Width, image.Height, image.Samples);
    }
}
