using SkiaSharp;

namespace AnomalyMoE.Synthetic;

/// <summary>One rendered image with its ground truth: a 0/255 mask for anomalies and, for 3D categories, 16-bit depth.</summary>
public sealed class SyntheticSample(SyntheticCategory category, AnomalyKind? anomaly, SKBitmap image, byte[]? mask, ushort[]? depth) : IDisposable
{
    public SyntheticCategory Category { get; } = category;
    public AnomalyKind? Anomaly { get; } = anomaly;

    /// <summary>Opaque RGBA8888, <see cref="Size"/> × <see cref="Size"/>.</summary>
    public SKBitmap Image { get; } = image;

    /// <summary>Row-major, 0 (normal) or 255 (anomalous); null for normal images.</summary>
    public byte[]? Mask { get; } = mask;

    /// <summary>Row-major distance from the virtual camera (see <see cref="Families.HeightFieldCategory"/>); null without depth.</summary>
    public ushort[]? Depth { get; } = depth;

    public int Size => Image.Width;
    public bool IsAnomalous => Anomaly != null;

    /// <summary>The RGB image as PNG bytes.</summary>
    public byte[] EncodeImagePng() => PngFiles.EncodeRgb(Image);

    /// <summary>The mask as an 8-bit grayscale PNG (0/255).</summary>
    public byte[] EncodeMaskPng() => PngFiles.EncodeGray8(Mask ?? throw new InvalidOperationException("A normal sample has no mask."), Size);

    /// <summary>The depth map as a 16-bit grayscale PNG.</summary>
    public byte[] EncodeDepthPng() => PngFiles.EncodeGray16(Depth ?? throw new InvalidOperationException($"{Category} has no depth."), Size, Size);

    public void Dispose() => Image.Dispose();
}
