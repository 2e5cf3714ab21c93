using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Experts;

/// <summary>
/// The components of a batch: one feature row per component, images in order, and how many components each image has.
/// Owns <see cref="Features"/>.
/// </summary>
/// <param name="Features"><c>[N,D]</c>, N = Σ <see cref="Counts"/> (an empty <c>[0,D]</c> tensor when no image has a component).</param>
/// <param name="Counts">Components per image, length B.</param>
public sealed record ComponentBatch(Tensor Features, int[] Counts) : IDisposable
{
    public int Total => Counts.Sum();

    public void Dispose() => Features.Dispose();
}

/// <summary>
/// Component-level feature extraction and map painting (reference <c>extract_component_features_from_map</c> and the
/// component part of <c>calculate_raw_anomaly_maps_moe</c>).
/// </summary>
public static class ComponentFeatures
{
    /// <summary>Dilation of the grid-resolution masks (a k×k max-pool, stride 1); 5 in the reference.</summary>
    public const int DefaultDilation = 5;

    /// <summary>
    /// The component source map <c>[B,D,gridH,gridW]</c>: the mean of the given token maps (<c>[B,T,D]</c> each; the
    /// reference uses all eight tapped layers), with the class and register tokens dropped and patches laid out row-major.
    /// </summary>
    public static Tensor MeanTokenMap(IReadOnlyList<Tensor> tokenMaps, int prefixTokens, long gridH, long gridW)
    {
        if (tokenMaps.Count == 0) throw new ArgumentException("At least one token map is needed.", nameof(tokenMaps));
        using var scope = NewDisposeScope();
        var mean = stack(tokenMaps, dim: 1).mean([1]);
        if (mean.shape[1] != prefixTokens + gridH * gridW)
            throw new ArgumentException($"Token maps have {mean.shape[1]} tokens; expected {prefixTokens} prefix tokens + {gridH}×{gridW} patches.", nameof(tokenMaps));
        var patches = mean[.., prefixTokens..];
        return patches.permute(0, 2, 1).reshape(mean.shape[0], mean.shape[2], gridH, gridW).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Each component's feature: the mean of <paramref name="featureMap"/> <c>[B,D,h,w]</c> under its mask, after the mask
    /// (<c>[n_i,H,W]</c> per image, any dtype, nonzero = inside) is resized nearest to the grid and dilated with a
    /// <paramref name="dilation"/>×<paramref name="dilation"/> max-pool. The area gets +1e-8 as in the reference, so an
    /// empty mask gives a zero feature.
    /// </summary>
    public static ComponentBatch Extract(Tensor featureMap, IReadOnlyList<Tensor> masks, int dilation = DefaultDilation)
    {
        if (featureMap.dim() != 4) throw new ArgumentException($"featureMap must be [B,D,h,w]; got [{string.Join(", ", featureMap.shape)}].", nameof(featureMap));
        var batch = featureMap.shape[0];
        if (masks.Count != batch) throw new ArgumentException($"Got {masks.Count} mask sets for a batch of {batch} images.", nameof(masks));
        if (dilation < 1 || dilation % 2 == 0) throw new ArgumentOutOfRangeException(nameof(dilation), dilation, "Dilation must be an odd kernel size ≥ 1.");

        using var scope = NewDisposeScope();
        long h = featureMap.shape[2], w = featureMap.shape[3];
        var counts = new int[batch];
        var rows = new List<Tensor>();
        for (int i = 0; i < batch; i++)
        {
            var m = masks[i];
            if (m.dim() != 3) throw new ArgumentException($"Masks of image {i} must be [n,H,W]; got [{string.Join(", ", m.shape)}].", nameof(masks));
            counts[i] = (int)m.shape[0];
            if (counts[i] == 0) continue;
            var grid = GridMasks(m.to(featureMap.device), h, w, dilation, featureMap.dtype);   // [n,1,h,w]
            var summed = (featureMap[i].unsqueeze(0) * grid).sum([2, 3]);                       // [n,D]
            var area = grid.sum([2, 3]) + 1e-8;                                                  // [n,1]
            rows.Add(summed / area);
        }
        var features = rows.Count == 0
            ? zeros(0, featureMap.shape[1], dtype: featureMap.dtype, device: featureMap.device)
            : cat(rows, 0);
        return new ComponentBatch(features.MoveToOuterDisposeScope(), counts);
    }

    /// <summary>Masks <c>[n,H,W]</c> → <c>[n,1,h,w]</c>: nearest resize to the grid, then a k×k max-pool dilation.</summary>
    public static Tensor GridMasks(Tensor masks, long gridH, long gridW, int dilation = DefaultDilation, ScalarType dtype = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        var down = functional.interpolate(masks.unsqueeze(1).to_type(dtype), [gridH, gridW], mode: InterpolationMode.Nearest);
        if (dilation > 1) down = functional.max_pool2d(down, dilation, stride: 1, padding: (dilation - 1) / 2);
        return down.MoveToOuterDisposeScope();
    }

    /// <summary>Per-image weights <c>[B,K]</c> repeated for each of the image's components → <c>[N,K]</c>.</summary>
    public static Tensor PerComponentRows(Tensor perImage, int[] counts)
    {
        using var repeats = tensor(counts.Select(c => (long)c).ToArray(), device: perImage.device);
        return perImage.repeat_interleave(repeats, dim: 0);
    }

    /// <summary>
    /// The component anomaly map <c>[B,1,H,W]</c> at image resolution: each component's score <c>[N]</c> painted on its
    /// mask (<c>[n_i,H,W]</c>), maximum over the image's components; zero for images without components.
    /// </summary>
    public static Tensor AnomalyMap(Tensor scores, IReadOnlyList<Tensor> masks, int[] counts, long height, long width)
    {
        if (masks.Count != counts.Length) throw new ArgumentException($"Got {masks.Count} mask sets for {counts.Length} images.", nameof(masks));
        using var scope = NewDisposeScope();
        var maps = new List<Tensor>();
        int start = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            if (counts[i] == 0)
            {
                maps.Add(zeros(1, height, width, dtype: scores.dtype, device: scores.device));
                continue;
            }
            var m = masks[i];
            if (m.shape[1] != height || m.shape[2] != width)
                throw new ArgumentException($"Masks of image {i} are {m.shape[1]}×{m.shape[2]}; the map is {height}×{width}.", nameof(masks));
            var s = scores[start..(start + counts[i])].view(-1, 1, 1);
            maps.Add((s * m.to(scores.device).to_type(scores.dtype)).amax([0], keepdim: true));
            start += counts[i];
        }
        return stack(maps).MoveToOuterDisposeScope();
    }
}
