using AnomalyMoE.Encoders;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data;

/// <summary>How an image is resized before cropping.</summary>
public enum ResizeFilter
{
    /// <summary>Two-tap bilinear: <c>torch.nn.functional.interpolate(mode="bilinear", align_corners=False, antialias=False)</c>,
    /// which is torchvision's <c>Resize</c> on tensors without antialiasing.</summary>
    Bilinear,

    /// <summary>Antialiased bilinear (a triangle filter widened by the downscale factor):
    /// <c>interpolate(mode="bilinear", align_corners=False, antialias=True)</c>. This is PIL's bilinear resize
    /// up to PIL's 8-bit rounding, i.e. what the reference's <c>transforms.Resize</c> on PIL images does.</summary>
    BilinearAntialias,
}

/// <summary>
/// The reference pipeline's image transform (<c>train.py</c>/<c>test.py</c> <c>get_data_transforms(448, 392)</c>):
/// resize to <see cref="ResizeTo"/>² → center-crop <see cref="CropTo"/>² → mean/std normalisation.
/// Masks are resized with nearest neighbour (<c>interpolate(mode="nearest")</c>) and cropped the same way
/// (the reference resizes masks bilinearly and counts any value &gt; 0 as anomalous, which widens regions by up to a pixel).
/// The colour-jitter view for the global experts changes brightness, contrast or saturation (one, chosen at
/// random per image) by a factor drawn from [1 − <see cref="JitterStrength"/>, 1 + <see cref="JitterStrength"/>].
/// </summary>
public sealed record ImageTransformOptions(
    int ResizeTo,
    int CropTo,
    ImageNormalization Normalization,
    ResizeFilter Filter = ResizeFilter.BilinearAntialias,
    float JitterStrength = 0.2f)
{
    /// <summary>The paper's setting: 448 → 392 (28 × 14-pixel patches), ImageNet statistics.</summary>
    public static ImageTransformOptions Reference { get; } = new(448, 392, ImageNormalization.ImageNet);

    public ImageTransformOptions Validate()
    {
        if (ResizeTo <= 0) throw new AnomalyMoEException($"ImageTransformOptions.ResizeTo must be positive, got {ResizeTo}.");
        if (CropTo <= 0 || CropTo > ResizeTo)
            throw new AnomalyMoEException($"ImageTransformOptions.CropTo must be between 1 and ResizeTo ({ResizeTo}), got {CropTo}.");
        if (Normalization.Mean.Length != 3 || Normalization.Std.Length != 3)
            throw new AnomalyMoEException("ImageTransformOptions.Normalization needs three means and three standard deviations (R, G, B).");
        if (Normalization.Std.Any(s => !(s > 0)))
            throw new AnomalyMoEException($"ImageTransformOptions.Normalization.Std must be positive, got [{string.Join(", ", Normalization.Std)}].");
        if (!(JitterStrength >= 0 && JitterStrength < 1))
            throw new AnomalyMoEException($"ImageTransformOptions.JitterStrength must be in [0, 1), got {JitterStrength}.");
        if (!Enum.IsDefined(Filter)) throw new AnomalyMoEException($"ImageTransformOptions.Filter has the unknown value {(int)Filter}.");
        return this;
    }
}
