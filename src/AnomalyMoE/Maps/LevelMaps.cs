using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Maps;

/// <summary>
/// Per-level anomaly maps of one batch, each the routing-weighted sum over the level's experts
/// (reference <c>calculate_raw_anomaly_maps_moe</c>). Unselected experts have weight 0 and add nothing.
/// Weights are the level's slice of the routing weights, <c>[B, n]</c>.
/// </summary>
public static class LevelMaps
{
    /// <summary>
    /// Patch level at grid resolution <c>[B,1,h,w]</c>: Σᵢ wᵢ · (1 − cosine(encoder map, decoder map)) over the channel axis,
    /// using each patch expert's last group maps <c>[B,D,h,w]</c>.
    /// </summary>
    public static Tensor Patch(IReadOnlyList<(Tensor Encoder, Tensor Decoder)> lastGroupMaps, Tensor weights, long gridH, long gridW)
    {
        CheckCount(lastGroupMaps.Count, weights, "patch");
        using var scope = NewDisposeScope();
        var sum = zeros(weights.shape[0], 1, gridH, gridW, dtype: weights.dtype, device: weights.device);
        for (int i = 0; i < lastGroupMaps.Count; i++)
        {
            var (en, de) = lastGroupMaps[i];
            var error = (1 - functional.cosine_similarity(en, de, dim: 1)).unsqueeze(1);
            sum = sum + weights[.., i].view(-1, 1, 1, 1) * error;
        }
        return sum.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Global level at grid resolution <c>[B,1,h,w]</c>: Σᵢ wᵢ · mapᵢ, where mapᵢ is each global expert's
    /// <see cref="Experts.GlobalExpert.AnomalyMap"/> already at the grid.
    /// </summary>
    public static Tensor Global(IReadOnlyList<Tensor> expertMaps, Tensor weights, long gridH, long gridW) =>
        WeightedSum(expertMaps, weights, gridH, gridW, "global");

    /// <summary>
    /// Per-component scores <c>[N]</c>: Σᵢ wᵢ(image of the component) · (1 − cosine(reconstructionᵢ, feature)).
    /// Paint them with <see cref="Experts.ComponentFeatures.AnomalyMap"/>.
    /// </summary>
    public static Tensor ComponentScores(IReadOnlyList<Tensor> reconstructions, Tensor features, int[] counts, Tensor weights)
    {
        CheckCount(reconstructions.Count, weights, "component");
        using var scope = NewDisposeScope();
        var rows = Experts.ComponentFeatures.PerComponentRows(weights, counts);
        var scores = zeros(features.shape[0], dtype: features.dtype, device: features.device);
        for (int i = 0; i < reconstructions.Count; i++)
            scores = scores + rows[.., i] * Experts.ComponentExpert.PerComponentLoss(reconstructions[i], features);
        return scores.MoveToOuterDisposeScope();
    }

    /// <summary>A grid-resolution map resized bilinearly (align_corners = false) to the image size.</summary>
    public static Tensor ToImage(Tensor gridMap, long height, long width) =>
        functional.interpolate(gridMap, [height, width], mode: InterpolationMode.Bilinear, align_corners: false);

    static Tensor WeightedSum(IReadOnlyList<Tensor> maps, Tensor weights, long gridH, long gridW, string level)
    {
        CheckCount(maps.Count, weights, level);
        using var scope = NewDisposeScope();
        var sum = zeros(weights.shape[0], 1, gridH, gridW, dtype: weights.dtype, device: weights.device);
        for (int i = 0; i < maps.Count; i++) sum = sum + weights[.., i].view(-1, 1, 1, 1) * maps[i];
        return sum.MoveToOuterDisposeScope();
    }

    static void CheckCount(int experts, Tensor weights, string level)
    {
        if (weights.dim() != 2 || weights.shape[1] != experts)
            throw new ArgumentException($"The {level} level has {experts} experts but its routing weights are [{string.Join(", ", weights.shape)}].", nameof(weights));
    }
}
