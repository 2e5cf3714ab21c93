using AnomalyMoE.Imaging;
using AnomalyMoE.Runtime;
using SkiaSharp;

namespace AnomalyMoE.Synthetic;

/// <summary>
/// How the generator writes its images, masks and depth maps: square PNGs through <see cref="PngCodec"/>
/// (fast enough to keep generation above a hundred images per second on two cores) and atomic file writes.
/// </summary>
public static class PngFiles
{
    /// <summary>An opaque RGBA8888 bitmap as an 8-bit RGB PNG (colour type 2).</summary>
    public static byte[] EncodeRgb(SKBitmap bitmap) => PngCodec.EncodeRgb(bitmap);

    /// <summary>Row-major 8-bit values of a <paramref name="size"/>² mask as a grayscale PNG (colour type 0).</summary>
    public static byte[] EncodeGray8(ReadOnlySpan<byte> values, int size) => PngCodec.EncodeGray8(values, size, size);

    /// <summary>Row-major 16-bit values as a 16-bit grayscale PNG (colour type 0, big-endian samples).</summary>
    public static byte[] EncodeGray16(ReadOnlySpan<ushort> values, int width, int height) => PngCodec.EncodeGray16(values, width, height);

    /// <summary>Writes through a temporary file beside the target, then renames, so readers never see half a file.</summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes) => AtomicFile.Write(path, bytes);
}
