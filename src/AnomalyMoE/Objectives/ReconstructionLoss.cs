using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Objectives;

/// <summary>
/// Scales of the three levels' reconstruction losses (reference <c>calculate_moe_loss</c>: patch 1, global 0.1, component 0.1).
/// </summary>
public sealed record ReconstructionScales(double Patch = 1.0, double Global = 0.1, double Component = 0.1)
{
    public static ReconstructionScales Paper { get; } = new();

    public ReconstructionScales Validate()
    {
        if (Patch < 0) throw new ArgumentOutOfRangeException(nameof(Patch), Patch, "The patch loss scale must not be negative.");
        if (Global < 0) throw new ArgumentOutOfRangeException(nameof(Global), Global, "The global loss scale must not be negative.");
        if (Component < 0) throw new ArgumentOutOfRangeException(nameof(Component), Component, "The component loss scale must not be negative.");
        return this;
    }
}

/// <summary>
/// Routing-weighted reconstruction loss of one expert level, as the reference's <c>calculate_moe_loss</c> computes it:
/// Σ over the level's experts of the mean over rows of (routing weight × per-row loss × scale).
/// Experts that were not run (null losses, the sparse mode's skipped experts) had zero weight for every image and add nothing.
/// </summary>
public static class ReconstructionLoss
{
    /// <summary>
    /// Image-level experts (patch, global): <paramref name="levelWeights"/> <c>[B,n]</c> is the level's slice of the routing
    /// weights; <paramref name="perImageLosses"/> has one <c>[B]</c> loss per expert (or null when skipped).
    /// </summary>
    public static Tensor PerImageLevel(Tensor levelWeights, IReadOnlyList<Tensor?> perImageLosses, double scale)
    {
        if (levelWeights.dim() != 2 || levelWeights.shape[1] != perImageLosses.Count)
            throw new ArgumentException($"Level weights [{string.Join(", ", levelWeights.shape)}] do not match {perImageLosses.Count} expert losses.");
        using var scope = NewDisposeScope();
        var total = zeros(1, dtype: levelWeights.dtype, device: levelWeights.device).squeeze();
        for (int i = 0; i < perImageLosses.Count; i++)
        {
            if (perImageLosses[i] is not { } loss) continue;
            total = total + (levelWeights[.., i] * loss * scale).mean();
        }
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Component experts: every component of image b uses image b's weights, so the level weights <c>[B,n]</c> are
    /// repeated per component (<paramref name="componentsPerImage"/>) before weighting the per-component losses
    /// <c>[N]</c>; the mean runs over all N components of the batch. Zero when the batch has no component.
    /// </summary>
    public static Tensor PerComponentLevel(Tensor levelWeights, IReadOnlyList<int> componentsPerImage, IReadOnlyList<Tensor?> perComponentLosses, double scale)
    {
        if (levelWeights.dim() != 2 || levelWeights.shape[1] != perComponentLosses.Count)
            throw new ArgumentException($"Level weights [{string.Join(", ", levelWeights.shape)}] do not match {perComponentLosses.Count} expert losses.");
        if (componentsPerImage.Count != levelWeights.shape[0])
            throw new ArgumentException($"Got component counts for {componentsPerImage.Count} images; the batch has {levelWeights.shape[0]}.", nameof(componentsPerImage));
        using var scope = NewDisposeScope();
        var total = zeros(1, dtype: levelWeights.dtype, device: levelWeights.device).squeeze();
        if (componentsPerImage.Sum() == 0) return total.MoveToOuterDisposeScope();
        var repeats = tensor(componentsPerImage.Select(c => (long)c).ToArray(), device: levelWeights.device);
        var rowWeights = levelWeights.repeat_interleave(repeats, dim: 0);     // [N,n]
        for (int i = 0; i < perComponentLosses.Count; i++)
        {
            if (perComponentLosses[i] is not { } loss) continue;
            total = total + (rowWeights[.., i] * loss * scale).mean();
        }
        return total.MoveToOuterDisposeScope();
    }
}
