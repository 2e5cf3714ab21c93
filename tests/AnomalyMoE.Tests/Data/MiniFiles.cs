using System.Formats.Tar;
using System.IO.Compression;
using BitMiracle.LibTiff.Classic;
using SkiaSharp;

namespace AnomalyMoE.Tests.Data;

/// <summary>Writes the tiny images and archives the dataset tests fabricate in each benchmark's original layout.</summary>
public static class MiniFiles
{
    static string Ensure(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>A small RGBA image filled with one colour, encoded as PNG or JPEG by extension.</summary>
    public static void ColorImage(string path, int width, int height, SKColor color)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(color);
        var format = Path.GetExtension(path).ToLowerInvariant() is ".jpg" or ".jpeg" ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png;
        using var data = bitmap.Encode(format, 95);
        File.WriteAllBytes(Ensure(path), data.ToArray());
    }

    /// <summary>An 8-bit grayscale PNG with the given values (row-major).</summary>
    public static void GrayPng(string path, int width, int height, byte[] values)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(values, 0, bitmap.GetPixels(), values.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(Ensure(path), data.ToArray());
    }

    /// <summary>Reads an 8-bit grayscale image back as raw values.</summary>
    public static (int Width, int Height, byte[] Values) ReadGray(string path)
    {
        using var codec = SKCodec.Create(path) ?? throw new InvalidDataException(path);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Gray8, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        codec.GetPixels(info, bitmap.GetPixels());
        return (info.Width, info.Height, bitmap.Bytes);
    }

    /// <summary>Reads any image as RGBA pixels and whether the encoded file declares alpha.</summary>
    public static (SKColor[] Pixels, SKAlphaType Alpha) ReadRgba(string path)
    {
        using var codec = SKCodec.Create(path) ?? throw new InvalidDataException(path);
        var alpha = codec.Info.AlphaType;
        using var bitmap = SKBitmap.Decode(path);
        return (bitmap.Pixels, alpha);
    }

    /// <summary>An uncompressed 24-bit BMP (UCSD Ped2's mask format), which SkiaSharp cannot encode.</summary>
    public static void Bmp24(string path, int width, int height, Func<int, int, byte> value)
    {
        int stride = (width * 3 + 3) & ~3;
        int size = 54 + stride * height;
        var bytes = new byte[size];
        bytes[0] = (byte)'B'; bytes[1] = (byte)'M';
        BitConverter.GetBytes(size).CopyTo(bytes, 2);
        BitConverter.GetBytes(54).CopyTo(bytes, 10);
        BitConverter.GetBytes(40).CopyTo(bytes, 14);
        BitConverter.GetBytes(width).CopyTo(bytes, 18);
        BitConverter.GetBytes(height).CopyTo(bytes, 22);
        BitConverter.GetBytes((short)1).CopyTo(bytes, 26);
        BitConverter.GetBytes((short)24).CopyTo(bytes, 28);
        BitConverter.GetBytes(stride * height).CopyTo(bytes, 34);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                byte v = value(x, y);
                int at = 54 + (height - 1 - y) * stride + 3 * x; // bottom-up rows
                bytes[at] = bytes[at + 1] = bytes[at + 2] = v;
            }
        File.WriteAllBytes(Ensure(path), bytes);
    }

    /// <summary>An 8-bit grayscale TIFF (UCSD Ped2's frame format) written with LibTiff.NET.</summary>
    public static void GrayTiff(string path, int width, int height, Func<int, int, byte> value)
    {
        using var tiff = Tiff.Open(Ensure(path), "w");
        tiff.SetField(TiffTag.IMAGEWIDTH, width);
        tiff.SetField(TiffTag.IMAGELENGTH, height);
        tiff.SetField(TiffTag.BITSPERSAMPLE, 8);
        tiff.SetField(TiffTag.SAMPLESPERPIXEL, 1);
        tiff.SetField(TiffTag.PHOTOMETRIC, Photometric.MINISBLACK);
        tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
        tiff.SetField(TiffTag.ROWSPERSTRIP, height);
        var row = new byte[width];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++) row[x] = value(x, y);
            tiff.WriteScanline(row, y);
        }
    }

    /// <summary>A 3-sample 32-bit float TIFF (MVTec 3D-AD's organised point cloud) written with LibTiff.NET.</summary>
    public static void XyzTiff(string path, int width, int height, Func<int, int, (float X, float Y, float Z)> point)
    {
        using var tiff = Tiff.Open(Ensure(path), "w");
        tiff.SetField(TiffTag.IMAGEWIDTH, width);
        tiff.SetField(TiffTag.IMAGELENGTH, height);
        tiff.SetField(TiffTag.BITSPERSAMPLE, 32);
        tiff.SetField(TiffTag.SAMPLESPERPIXEL, 3);
        tiff.SetField(TiffTag.SAMPLEFORMAT, SampleFormat.IEEEFP);
        tiff.SetField(TiffTag.PHOTOMETRIC, Photometric.RGB);
        tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
        tiff.SetField(TiffTag.ROWSPERSTRIP, height);
        var values = new float[width * 3];
        var row = new byte[width * 3 * sizeof(float)];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var (px, py, pz) = point(x, y);
                values[3 * x] = px; values[3 * x + 1] = py; values[3 * x + 2] = pz;
            }
            Buffer.BlockCopy(values, 0, row, 0, row.Length);
            tiff.WriteScanline(row, y);
        }
    }

    /// <summary>Packs a folder's contents into a .tar.gz (entry names relative to the folder).</summary>
    public static string TarGz(string sourceDir, string archivePath)
    {
        using var file = File.Create(Ensure(archivePath));
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        TarFile.CreateFromDirectory(sourceDir, gzip, includeBaseDirectory: false);
        return archivePath;
    }

    /// <summary>Every file under a folder as relative paths with '/' separators, sorted.</summary>
    public static IReadOnlyList<string> Tree(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToList();
}
