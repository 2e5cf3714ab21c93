using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Objectives;

/// <summary>
/// Expert Selection Balancing (ESB), reference <c>calculate_esb_loss</c>:
/// importance E·Σⱼ P̄ⱼ² (P̄ = batch mean of the softmax over all E raw logits)
/// + load Σⱼ relu(Cⱼ − cap)² (Cⱼ = images that selected expert j, cap = capacityFactor·B/E)
/// + z-loss mean(logits²).
/// </summary>
public static class ExpertSelectionBalancingLoss
{
    /// <summary>The reference's capacity factor.</summary>
    public const double DefaultCapacityFactor = 4.0;

    /// <summary>Scalar ESB loss from raw logits <c>[B,E]</c> and the 0/1 selection mask <c>[B,E]</c>.</summary>
    public static Tensor Compute(Tensor rawLogits, Tensor selectionMask, double capacityFactor = DefaultCapacityFactor)
    {
        if (rawLogits.dim() != 2 || !rawLogits.shape.SequenceEqual(selectionMask.shape))
            throw new ArgumentException($"ESB needs logits and mask of the same [B,E] shape; got [{string.Join(", ", rawLogits.shape)}] and [{string.Join(", ", selectionMask.shape)}].");
        using var scope = NewDisposeScope();
        long batch = rawLogits.shape[0], experts = rawLogits.shape[1];
        var meanProbability = functional.softmax(rawLogits, dim: 1).mean([0]);
        var importance = experts * (meanProbability * meanProbability).sum();
        var load = selectionMask.sum([0]);
        var capacity = capacityFactor * batch / experts;
        var over = functional.relu(load - capacity);
        var loadLoss = (over * over).sum();
        var zLoss = rawLogits.pow(2).mean();
        return (importance + loadLoss + zLoss).MoveToOuterDisposeScope();
    }
}
