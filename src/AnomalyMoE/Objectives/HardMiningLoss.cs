using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Objectives;

/// <summary>
/// Options of the patch experts' hard-mining reconstruction loss (reference <c>calculate_hm_loss_for_expert</c>).
/// </summary>
/// <param name="Percentile">p: positions whose distance is below the batch's top (1 − p) fraction count as easy (reference 0.9).</param>
/// <param name="EasyGradientFactor">Multiplier of the gradient reaching the decoder map at easy positions (reference 0.1; 1 disables hard mining).</param>
/// <param name="MaskSource">Which group's easy positions gate each group's map (reference: <see cref="HardMiningMaskSource.LastGroup"/>).</param>
/// <param name="RampIterations">Iterations over which p rises linearly from 0 to <see cref="Percentile"/>, as Dinomaly schedules it
/// (0: p from the first iteration, the reference). Early on every position is hard, so the decoders first learn the whole map.</param>
public sealed record HardMiningOptions(double Percentile = 0.9, double EasyGradientFactor = 0.1, HardMiningMaskSource MaskSource = HardMiningMaskSource.LastGroup,
    int RampIterations = 0)
{
    public static HardMiningOptions Paper { get; } = new();

    /// <summary>The options at a 0-based training iteration: <see cref="Percentile"/> scaled by the ramp's progress.</summary>
    public HardMiningOptions At(int iteration) =>
        RampIterations <= 0 || iteration >= RampIterations ? this : this with { Percentile = Percentile * iteration / RampIterations };

    public HardMiningOptions Validate()
    {
        if (Percentile is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Percentile), Percentile, "Hard-mining Percentile must be in [0, 1).");
        if (EasyGradientFactor is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(EasyGradientFactor), EasyGradientFactor, "EasyGradientFactor must be in [0, 1].");
        if (RampIterations < 0) throw new ArgumentOutOfRangeException(nameof(RampIterations), RampIterations, "The hard-mining ramp must not be negative.");
        return this;
    }
}

/// <summary>Which easy-position mask gates each group's decoder map.</summary>
public enum HardMiningMaskSource
{
    /// <summary>
    /// The reference's behaviour: its per-group gradient hooks are closures over a loop variable, which Python binds
    /// late, so at backward time every group's hook reads the mask of the last group. Matches the official gradients.
    /// </summary>
    LastGroup,

    /// <summary>Each group's map is gated by its own easy positions (the method as described in the paper).</summary>
    OwnGroup,
}

/// <summary>
/// Hard-mining loss of one patch expert. For each group map pair: d = 1 − cosine(encoder map (detached), decoder map)
/// per position, the image's loss is the mean of d over positions, averaged over the groups. The threshold is the
/// k-th largest d of the whole batch, k = ⌊(1 − p)·B·h·w⌋ (at least 1); at positions with d below it the gradient
/// reaching the decoder map is multiplied by the factor. The reference does this with a hook on the decoder map, so
/// the scaling applies to that map's whole gradient, whatever consumes it: here through the map's <see cref="GradientGate"/>.
/// </summary>
public static class HardMiningLoss
{
    /// <summary>
    /// Per-image loss <c>[B]</c>. <paramref name="decoderGates"/> (one per group, or null) are the gates the decoder maps
    /// were produced through; their scales are set here and act at the next backward.
    /// </summary>
    public static Tensor PerImage(IReadOnlyList<Tensor> encoderMaps, IReadOnlyList<Tensor> decoderMaps, IReadOnlyList<GradientGate>? decoderGates, HardMiningOptions options)
    {
        if (encoderMaps.Count == 0 || encoderMaps.Count != decoderMaps.Count)
            throw new ArgumentException($"Hard mining needs as many encoder maps as decoder maps (got {encoderMaps.Count} and {decoderMaps.Count}).");
        if (decoderGates is not null && decoderGates.Count != decoderMaps.Count)
            throw new ArgumentException($"Got {decoderGates.Count} gradient gates for {decoderMaps.Count} decoder maps.", nameof(decoderGates));
        using var scope = NewDisposeScope();
        Tensor? total = null;
        var multipliers = new Tensor[encoderMaps.Count];
        for (int g = 0; g < encoderMaps.Count; g++)
        {
            var target = encoderMaps[g].detach();
            var reconstruction = decoderMaps[g];
            var distance = 1 - functional.cosine_similarity(target, reconstruction, dim: 1);   // [B,h,w]
            var perImage = distance.mean([1, 2]);
            total = total is null ? perImage : total + perImage;
            if (decoderGates is not null) multipliers[g] = GradientMultiplier(distance, options);
        }
        if (decoderGates is not null)
        {
            for (int g = 0; g < decoderGates.Count; g++)
            {
                var source = options.MaskSource == HardMiningMaskSource.LastGroup ? multipliers[^1] : multipliers[g];
                decoderGates[g].SetScale(source);
            }
        }
        return (total! / encoderMaps.Count).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>[B,1,h,w]</c>: the factor where d is below the k-th largest d of the batch, k = ⌊(1 − p)·numel⌋ computed in
    /// double precision as the reference's Python does (so 100 positions give k = 9), 1 elsewhere.
    /// </summary>
    static Tensor GradientMultiplier(Tensor distance, HardMiningOptions options)
    {
        using var noGrad = no_grad();
        var flat = distance.detach().reshape(-1);
        var k = Math.Max(1, (long)(flat.shape[0] * (1 - options.Percentile)));
        var threshold = flat.topk((int)k).values[k - 1];
        var easy = distance.detach().lt(threshold).unsqueeze(1);
        var factor = full([1], options.EasyGradientFactor, dtype: distance.dtype, device: distance.device);
        return where(easy, factor, ones(1, dtype: distance.dtype, device: distance.device));
    }
}
