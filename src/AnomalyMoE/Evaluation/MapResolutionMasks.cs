using AnomalyMoE.Data;
using AnomalyMoE.Runtime;
using static TorchSharp.torch;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// Ground-truth masks in the geometry of the anomaly maps: the preset's mask transform (nearest resize, centre crop,
/// see <see cref="ImageTransformOptions"/>) followed by a nearest resize to the maps' side. Every pixel metric of an
/// evaluation compares maps with masks brought here the same way.
/// </summary>
internal static class MapResolutionMasks
{
    /// <summary>A mask file (or MVTec LOCO mask folder, united) as <c>side × side</c> bytes, 1 = anomalous.</summary>
    public static byte[] Load(string? maskPath, ImageTransformOptions transform, int side) =>
        Of(maskPath is null ? null : ImageDecoder.DecodeMask(maskPath), transform, side);

    /// <summary>A decoded mask as <c>side × side</c> bytes, 1 = anomalous; all zeros for null.</summary>
    public static byte[] Of(BinaryMask? mask, ImageTransformOptions transform, int side)
    {
        transform.Validate();
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var cropped = new float[transform.CropTo * transform.CropTo];
        ImageTransforms.TransformMask(mask, transform, cropped);
        var resized = nn.functional.interpolate(tensor(cropped, [1, 1, transform.CropTo, transform.CropTo]), [side, side], mode: InterpolationMode.Nearest);
        return resized.gt(0.5f).to_type(ScalarType.Byte).data<byte>().ToArray();
    }

    /// <summary>
    /// How many map pixels one pixel of a <paramref name="width"/>×<paramref name="height"/> source mask covers: the
    /// area factor of the resize to <c>ResizeTo²</c> times that of the crop-to-map resize (the crop itself keeps scale).
    /// </summary>
    public static double MapPixelsPerSourcePixel(int width, int height, ImageTransformOptions transform, int side) =>
        (double)transform.ResizeTo * transform.ResizeTo / ((double)width * height)
        * ((double)side * side / ((double)transform.CropTo * transform.CropTo));
}
