using AnomalyMoE.Experts;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Maps;

/// <summary>
/// How the three level maps of an evaluated set become one map and one score per image (reference <c>evaluate</c> in test.py).
/// </summary>
/// <param name="ResizeTo">Side of the fused map before smoothing (256).</param>
/// <param name="GaussianKernelSize">Smoothing kernel side (5), zero padding.</param>
/// <param name="GaussianSigma">Smoothing sigma (4).</param>
/// <param name="TopFraction">Image score = mean of the top <c>max(1, ⌊fraction · pixels⌋)</c> smoothed pixels (0.01).</param>
/// <param name="NormalizationEpsilon">Added to (max − min) of each level's min-max normalisation (1e-11).</param>
public sealed record MapFusionOptions(
    int ResizeTo = 256,
    int GaussianKernelSize = 5,
    double GaussianSigma = 4,
    double TopFraction = 0.01,
    double NormalizationEpsilon = 1e-11)
{
    /// <summary>The reference's values.</summary>
    public static MapFusionOptions Reference { get; } = new();

    public MapFusionOptions Validate()
    {
        if (ResizeTo <= 0) throw new ArgumentOutOfRangeException(nameof(ResizeTo), ResizeTo, "ResizeTo must be positive.");
        if (GaussianKernelSize < 1 || GaussianKernelSize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(GaussianKernelSize), GaussianKernelSize, "GaussianKernelSize must be an odd number ≥ 1.");
        if (!(GaussianSigma > 0)) throw new ArgumentOutOfRangeException(nameof(GaussianSigma), GaussianSigma, "GaussianSigma must be positive.");
        if (!(TopFraction > 0 && TopFraction <= 1)) throw new ArgumentOutOfRangeException(nameof(TopFraction), TopFraction, "TopFraction must be in (0, 1].");
        if (!(NormalizationEpsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(NormalizationEpsilon), NormalizationEpsilon, "NormalizationEpsilon must be ≥ 0.");
        return this;
    }
}

/// <summary>The fused result of an evaluated set. Owns its tensors.</summary>
/// <param name="Smoothed">Fused, resized and blurred maps <c>[N,1,R,R]</c> (pixel-level predictions).</param>
/// <param name="Scores">Image scores <c>[N]</c>.</param>
public sealed record FusedMaps(Tensor Smoothed, Tensor Scores) : IDisposable
{
    public void Dispose()
    {
        Smoothed.Dispose();
        Scores.Dispose();
    }
}

/// <summary>
/// Fuses the patch, global and component maps of a whole evaluated set (a category): each level is min-max normalised over
/// the set, weighted per image by the largest routing weight of its expert group, summed, resized bilinearly, blurred with
/// a Gaussian, and each image scored by the mean of its top pixels.
/// </summary>
public static class MapFusion
{
    /// <summary>
    /// Fuses level maps <c>[N,1,H,W]</c> (null, or a level of zero experts, leaves the level out) using the routing weights
    /// <c>[N, experts]</c> in the order of <paramref name="layout"/>.
    /// </summary>
    public static FusedMaps Fuse(Tensor? patch, Tensor? global, Tensor? component, Tensor routingWeights,
        ExpertLayout layout, MapFusionOptions? options = null)
    {
        var o = (options ?? MapFusionOptions.Reference).Validate();
        if (routingWeights.dim() != 2 || routingWeights.shape[1] != layout.Total)
            throw new ArgumentException(
                $"Routing weights are [{string.Join(", ", routingWeights.shape)}]; expected [N, {layout.Total}] for {layout} experts.",
                nameof(routingWeights));
        using var scope = NewDisposeScope();
        Tensor? fused = null;
        foreach (var (map, level) in new[] { patch, global, component }.Zip(layout.Levels))
        {
            if (map is null || level.Count == 0) continue;
            var groupWeight = routingWeights[.., level.Slice].amax([1]).view(-1, 1, 1, 1).to(map.dtype, map.device);
            var term = groupWeight * MinMaxNormalize(map, o.NormalizationEpsilon);
            fused = fused is null ? term : fused + term;
        }
        if (fused is null) throw new ArgumentException("No level map to fuse: every level is absent or has zero experts.");
        var resized = functional.interpolate(fused, [o.ResizeTo, o.ResizeTo], mode: InterpolationMode.Bilinear, align_corners: false);
        var smoothed = GaussianBlur(resized, o.GaussianKernelSize, o.GaussianSigma);
        var scores = TopFractionMean(smoothed, o.TopFraction);
        return new FusedMaps(smoothed.MoveToOuterDisposeScope(), scores.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Calibrated fusion, independent of the evaluated set: each present level is standardised by its category statistics
    /// (<see cref="ScoreCalibration"/>), weighted per image by its group's largest routing weight as in <see cref="Fuse"/>,
    /// combined by <paramref name="fusion"/>, then resized, blurred and scored as the reference does.
    /// </summary>
    public static FusedMaps FuseCalibrated(IReadOnlyList<(Tensor Map, Tensor GroupWeight, LevelStatistics Statistics)> levels,
        LevelFusion fusion, MapFusionOptions? options = null)
    {
        var o = (options ?? MapFusionOptions.Reference).Validate();
        fusion.Validate();
        if (levels.Count == 0) throw new ArgumentException("No level map to fuse.", nameof(levels));
        using var scope = NewDisposeScope();
        var terms = levels.Select(l => l.GroupWeight.view(-1, 1, 1, 1).to(l.Map.dtype, l.Map.device) * ScoreCalibration.Standardize(l.Map, l.Statistics)).ToList();
        var fused = Combine(terms, fusion);
        var resized = functional.interpolate(fused, [o.ResizeTo, o.ResizeTo], mode: InterpolationMode.Bilinear, align_corners: false);
        var smoothed = GaussianBlur(resized, o.GaussianKernelSize, o.GaussianSigma);
        var scores = TopFractionMean(smoothed, o.TopFraction);
        return new FusedMaps(smoothed.MoveToOuterDisposeScope(), scores.MoveToOuterDisposeScope());
    }

    /// <summary>Standardised level maps <c>[N,1,h,w]</c> combined per pixel by <paramref name="fusion"/>'s rule.</summary>
    public static Tensor Combine(IReadOnlyList<Tensor> terms, LevelFusion fusion)
    {
        if (terms.Count == 0) throw new ArgumentException("No level map to combine.", nameof(terms));
        using var scope = NewDisposeScope();
        // A lone level is itself under every rule; the alias keeps the caller's tensor out of this scope's hand-over.
        var result = terms.Count == 1 ? terms[0].alias() : fusion.Rule switch
        {
            LevelFusionRule.Sum => terms.Skip(1).Aggregate(terms[0], (a, b) => a + b),
            LevelFusionRule.Max => terms.Skip(1).Aggregate(terms[0], maximum),
            // T·log Σ exp(z/T), stable for any z (logsumexp subtracts the maximum).
            LevelFusionRule.SoftMax => stack(terms, 0).div(fusion.Temperature).logsumexp(0).mul(fusion.Temperature),
            _ => throw new ArgumentOutOfRangeException(nameof(fusion), fusion.Rule, "Unknown level fusion rule."),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>(x − min) / (max − min + ε) with min and max over the whole tensor (the evaluated set).</summary>
    public static Tensor MinMaxNormalize(Tensor maps, double epsilon = 1e-11)
    {
        using var scope = NewDisposeScope();
        var min = maps.min();
        var max = maps.max();
        return ((maps - min) / (max - min + epsilon)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The reference's Gaussian smoothing of <c>[N,1,H,W]</c> maps: a normalised k×k kernel exp(−d²/2σ²) applied as a
    /// convolution with zero padding k/2 (reference <c>get_gaussian_kernel</c>).
    /// </summary>
    public static Tensor GaussianBlur(Tensor maps, int kernelSize, double sigma)
    {
        using var scope = NewDisposeScope();
        using var kernel = GaussianKernel(kernelSize, sigma, maps.dtype, maps.device);
        return functional.conv2d(maps, kernel, padding: [kernelSize / 2, kernelSize / 2]).MoveToOuterDisposeScope();
    }

    /// <summary>The normalised Gaussian kernel <c>[1,1,k,k]</c>.</summary>
    public static Tensor GaussianKernel(int kernelSize, double sigma, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var values = new double[kernelSize * kernelSize];
        double mean = (kernelSize - 1) / 2.0, variance = sigma * sigma, total = 0;
        for (int y = 0; y < kernelSize; y++)
        for (int x = 0; x < kernelSize; x++)
        {
            var v = Math.Exp(-((x - mean) * (x - mean) + (y - mean) * (y - mean)) / (2 * variance));
            values[y * kernelSize + x] = v;
            total += v;
        }
        for (int i = 0; i < values.Length; i++) values[i] /= total;
        return tensor(values, [1, 1, kernelSize, kernelSize], dtype: dtype, device: device);
    }

    /// <summary>Per image of <c>[N,…]</c>: the mean of its top <c>max(1, ⌊fraction · pixels⌋)</c> values, <c>[N]</c>.</summary>
    public static Tensor TopFractionMean(Tensor maps, double fraction)
    {
        using var scope = NewDisposeScope();
        var flat = maps.reshape(maps.shape[0], -1);
        var k = Math.Max(1, (int)(flat.shape[1] * fraction));
        return flat.topk(k, dim: 1).values.mean([1]).MoveToOuterDisposeScope();
    }
}
