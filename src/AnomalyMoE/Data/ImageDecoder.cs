using System.Runtime.InteropServices;
using AnomalyMoE.Imaging;
using AnomalyMoE.Runtime;
using SkiaSharp;

namespace AnomalyMoE.Data;

/// <summary>A decoded image: RGB planes (channel-major, <c>[3, H, W]</c>) with values in [0, 1].</summary>
public sealed class RgbImage(int width, int height, float[] pixels)
{
    public int Width { get; } = width;
    public int Height { get; } = height;
    public float[] Pixels { get; } = pixels;
}

/// <summary>A decoded ground-truth mask: one byte per pixel, 1 where the source is &gt; 0, else 0.</summary>
public sealed class BinaryMask(int width, int height, byte[] pixels)
{
    public int Width { get; } = width;
    public int Height { get; } = height;
    public byte[] Pixels { get; } = pixels;
}

/// <summary>An image or mask file that cannot be decoded; the message names the file.</summary>
public sealed class ImageDecodeException(string path, string reason, Exception? inner = null)
    : AnomalyMoEException($"Cannot read image '{path}': {reason}", inner)
{
    public string FilePath { get; } = path;
}

/// <summary>
/// Decodes PNG, JPEG and BMP with SkiaSharp. Grayscale becomes three equal channels, alpha is dropped
/// (as PIL's <c>convert("RGB")</c> in the reference pipeline does), and 16-bit PNGs keep their precision
/// (value / 65535, decoded by <see cref="PngCodec"/>; PIL in the reference would clip them). No EXIF rotation is applied, like PIL.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Reads only the header: the pixel size. Throws <see cref="ImageDecodeException"/> for unreadable files.</summary>
    public static (int Width, int Height) ReadSize(string path)
    {
        using var codec = OpenCodec(path);
        return (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>Decodes an image to RGB floats in [0, 1] (8-bit value / 255 as torchvision's <c>ToTensor</c>; 16-bit value / 65535).</summary>
    public static RgbImage DecodeRgb(string path)
    {
        if (PngCodec.IsSixteenBit(path))
        {
            var (w16, h16, samples) = DecodeSixteenBitRgb(path);
            int plane16 = w16 * h16;
            var rgb16 = new float[3 * plane16];
            for (int i = 0; i < plane16; i++)
            {
                rgb16[i] = samples[3 * i] / 65535f;
                rgb16[plane16 + i] = samples[3 * i + 1] / 65535f;
                rgb16[2 * plane16 + i] = samples[3 * i + 2] / 65535f;
            }
            return new RgbImage(w16, h16, rgb16);
        }
        using var codec = OpenCodec(path);
        int w = codec.Info.Width, h = codec.Info.Height;
        int plane = w * h;
        var rgb = new float[3 * plane];
        var raw = DecodeRgba8888(codec, path);
        for (int i = 0; i < plane; i++)
        {
            rgb[i] = raw[4 * i] / 255f;
            rgb[plane + i] = raw[4 * i + 1] / 255f;
            rgb[2 * plane + i] = raw[4 * i + 2] / 255f;
        }
        return new RgbImage(w, h, rgb);
    }

    /// <summary>
    /// Decodes a mask and binarises it: a pixel is anomalous when any colour channel is &gt; 0.
    /// A folder (MVTec LOCO keeps several masks per image in one) is the union of the images in it, which must share one size.
    /// </summary>
    public static BinaryMask DecodeMask(string path)
    {
        if (Directory.Exists(path))
        {
            var parts = ImageFiles.List(path);
            if (parts.Count == 0) throw new ImageDecodeException(path, "the ground-truth folder holds no mask images.");
            var union = DecodeMaskFile(parts[0]);
            foreach (var part in parts.Skip(1))
            {
                var next = DecodeMaskFile(part);
                if (next.Width != union.Width || next.Height != union.Height)
                    throw new ImageDecodeException(part, $"it is {next.Width}x{next.Height} but '{parts[0]}' in the same mask folder is {union.Width}x{union.Height}.");
                for (int i = 0; i < union.Pixels.Length; i++) union.Pixels[i] |= next.Pixels[i];
            }
            return union;
        }
        return DecodeMaskFile(path);
    }

    /// <summary>
    /// Refuses a ground-truth mask whose size differs from its image's: resizing it would score pixels against a mask that
    /// may belong to another image or crop. The error names both files and both sizes.
    /// </summary>
    public static void RequireMaskSize(string maskPath, (int Width, int Height) maskSize, string imagePath, (int Width, int Height) imageSize)
    {
        if (maskSize != imageSize)
            throw new AnomalyMoEException($"Ground-truth mask '{maskPath}' is {maskSize.Width}x{maskSize.Height} but its image '{imagePath}' is "
                + $"{imageSize.Width}x{imageSize.Height}; a mask must have its image's size (replace the mask, or remove it and its image).");
    }

    /// <summary>The size of a mask file, or of the first image in a mask folder.</summary>
    public static (int Width, int Height) ReadMaskSize(string path)
    {
        if (!Directory.Exists(path)) return ReadSize(path);
        var parts = ImageFiles.List(path);
        if (parts.Count == 0) throw new ImageDecodeException(path, "the ground-truth folder holds no mask images.");
        return ReadSize(parts[0]);
    }

    static BinaryMask DecodeMaskFile(string path)
    {
        if (PngCodec.IsSixteenBit(path))
        {
            var (w16, h16, samples) = DecodeSixteenBitRgb(path);
            var mask16 = new byte[w16 * h16];
            for (int i = 0; i < mask16.Length; i++) mask16[i] = (byte)((samples[3 * i] | samples[3 * i + 1] | samples[3 * i + 2]) != 0 ? 1 : 0);
            return new BinaryMask(w16, h16, mask16);
        }
        using var codec = OpenCodec(path);
        int w = codec.Info.Width, h = codec.Info.Height;
        var mask = new byte[w * h];
        var raw = DecodeRgba8888(codec, path);
        for (int i = 0; i < mask.Length; i++) mask[i] = (byte)((raw[4 * i] | raw[4 * i + 1] | raw[4 * i + 2]) != 0 ? 1 : 0);
        return new BinaryMask(w, h, mask);
    }

    /// <summary>A 16-bit PNG as <c>[H, W, 3]</c> RGB samples (gray repeated, alpha dropped).</summary>
    static (int Width, int Height, ushort[] Rgb) DecodeSixteenBitRgb(string path)
    {
        Png16Image image;
        try
        {
            image = PngCodec.DecodeSixteenBit(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new ImageDecodeException(path, e.Message, e);
        }
        int pixels = image.Width * image.Height, channels = image.Channels;
        var samples = image.Samples;
        var rgb = new ushort[3 * pixels];
        for (int i = 0; i < pixels; i++)
        {
            ushort first = samples[channels * i];
            if (channels <= 2)
            {
                rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = first;
            }
            else
            {
                rgb[3 * i] = first;
                rgb[3 * i + 1] = samples[channels * i + 1];
                rgb[3 * i + 2] = samples[channels * i + 2];
            }
        }
        return (image.Width, image.Height, rgb);
    }

    static SKCodec OpenCodec(string path)
    {
        if (!File.Exists(path)) throw new ImageDecodeException(path, "the file does not exist.");
        SKCodec? codec;
        SKCodecResult result;
        try
        {
            codec = SKCodec.Create(path, out result);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, e.Message, e);
        }
        if (codec is null) throw new ImageDecodeException(path, $"not a readable PNG, JPEG or BMP image ({result}).");
        if (codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            codec.Dispose();
            throw new ImageDecodeException(path, "the image has no pixels.");
        }
        return codec;
    }

    static byte[] DecodeRgba8888(SKCodec codec, string path)
    {
        int w = codec.Info.Width, h = codec.Info.Height;
        // Unpremultiplied, so colour values under transparent pixels survive as PIL keeps them.
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var raw = new byte[(long)w * h * 4];
        var handle = GCHandle.Alloc(raw, GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(info, handle.AddrOfPinnedObject());
            if (result != SKCodecResult.Success)
                throw new ImageDecodeException(path, result == SKCodecResult.IncompleteInput
                    ? "the file is truncated or corrupt."
                    : $"decoding failed ({result}).");
        }
        finally
        {
            handle.Free();
        }
        return raw;
    }
}
