using AnomalyMoE.Encoders;
using static TorchSharp.torch;

namespace AnomalyMoE.Interactive.Rendering;

/// <summary>
/// One image to show: RGB in [0, 1] (<c>H·W·3</c>, row-major), optionally an anomaly map (<c>H·W</c>, any scale), a
/// ground-truth mask (<c>H·W</c>, nonzero = anomalous) and a score. Plain arrays, so rendering needs no tensors.
/// </summary>
public sealed record MapPanel(string Title, int Height, int Width, float[] Rgb, float[]? Map = null, byte[]? Mask = null, double? Score = null)
{
    public MapPanel Validate()
    {
        if (Height <= 0 || Width <= 0) throw new ArgumentException($"Panel '{Title}': size {Height}×{Width} must be positive.");
        if (Rgb is null || Rgb.Length != Height * Width * 3)
            throw new ArgumentException($"Panel '{Title}': RGB holds {Rgb?.Length ?? 0} values; {Height}×{Width}×3 = {Height * Width * 3} expected.");
        if (Map is not null && Map.Length != Height * Width)
            throw new ArgumentException($"Panel '{Title}': the map holds {Map.Length} values; {Height}×{Width} = {Height * Width} expected.");
        if (Mask is not null && Mask.Length != Height * Width)
            throw new ArgumentException($"Panel '{Title}': the mask holds {Mask.Length} values; {Height}×{Width} = {Height * Width} expected.");
        return this;
    }
}

/// <summary>Turns tensors of a batch into <see cref="MapPanel"/>s (CPU copies; the tensors stay the caller's).</summary>
public static class MapPanels
{
    /// <summary>
    /// Panels of a normalised image batch <c>[B,3,H,W]</c> with optional maps <c>[B,1,h,w]</c> (resized bilinearly to the
    /// image), masks <c>[B,1,H',W']</c> or <c>[B,H',W']</c> (nearest) and scores <c>[B]</c>.
    /// </summary>
    public static IReadOnlyList<MapPanel> FromBatch(Tensor images, ImageNormalization normalization, IReadOnlyList<string>? titles = null,
        Tensor? maps = null, Tensor? masks = null, IReadOnlyList<double>? scores = null)
    {
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException($"images must be [B,3,H,W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long b = images.shape[0], h = images.shape[2], w = images.shape[3];
        var mean = tensor(normalization.Mean).view(1, 3, 1, 1);
        var std = tensor(normalization.Std).view(1, 3, 1, 1);
        var rgb = (images.detach().to(CPU).to_type(ScalarType.Float32) * std + mean).clamp(0, 1).permute(0, 2, 3, 1).contiguous();
        Tensor? mapsAtImage = null;
        if (maps is not null)
        {
            var m = maps.detach().to(CPU).to_type(ScalarType.Float32);
            if (m.dim() == 3) m = m.unsqueeze(1);
            mapsAtImage = nn.functional.interpolate(m, [h, w], mode: InterpolationMode.Bilinear, align_corners: false).reshape(b, h * w);
        }
        Tensor? masksAtImage = null;
        if (masks is not null)
        {
            var m = masks.detach().to(CPU).to_type(ScalarType.Float32);
            if (m.dim() == 3) m = m.unsqueeze(1);
            masksAtImage = nn.functional.interpolate(m, [h, w], mode: InterpolationMode.Nearest).reshape(b, h * w).gt(0.5).to_type(ScalarType.Byte);
        }
        var panels = new List<MapPanel>((int)b);
        for (long i = 0; i < b; i++)
        {
            panels.Add(new MapPanel(
                titles is not null && i < titles.Count ? titles[(int)i] : $"#{i}", (int)h, (int)w,
                rgb[i].data<float>().ToArray(),
                mapsAtImage?[i].data<float>().ToArray(),
                masksAtImage?[i].data<byte>().ToArray(),
                scores is not null && i < scores.Count ? scores[(int)i] : null));
        }
        return panels;
    }
}
