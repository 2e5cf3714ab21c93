using AnomalyMoE.Objectives;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Objectives;

public class ExpertSelectionBalancingLossTests
{
    [Fact]
    public void Reproduces_the_reference_value_on_seed0()
    {
        using var esb = ExpertSelectionBalancingLoss.Compute(Seed0Tensors.Expected["out.raw_logits"], Seed0Tensors.Expected["out.expert_mask"]);
        Assert.True(Seed0Tensors.RelativeError(esb.reshape(1), Seed0Tensors.Expected["loss.esb"]) <= 1e-4);
    }

    [Fact]
    public void Uniform_zero_logits_under_capacity_cost_exactly_one()
    {
        // importance E·Σ(1/E)² = 1, no expert over capacity, z-loss 0.
        using var logits = zeros(4, 5);
        using var mask = zeros(4, 5);
        using var esb = ExpertSelectionBalancingLoss.Compute(logits, mask);
        Assert.Equal(1.0, esb.item<float>(), 5);
    }

    [Fact]
    public void Load_term_is_the_squared_excess_over_capacity()
    {
        // B = 4, E = 2, capacity factor 0.5 → cap = 1; expert 0 chosen by all 4 → (4 − 1)² = 9.
        using var logits = zeros(4, 2);
        using var mask = cat([ones(4, 1), zeros(4, 1)], 1);
        using var esb = ExpertSelectionBalancingLoss.Compute(logits, mask, capacityFactor: 0.5);
        Assert.Equal(1.0 + 9.0, esb.item<float>(), 5);
    }
}
