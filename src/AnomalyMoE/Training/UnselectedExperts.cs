using AnomalyMoE.Model;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Training;

/// <summary>What the main step's optimiser does with an expert that no image of the batch selected.</summary>
public enum UnselectedExpertUpdate
{
    /// <summary>
    /// Step it like every other parameter (the reference: its experts run densely, so an unselected expert has a zero
    /// gradient, and PyTorch 1.13's AdamW still applies momentum and weight decay to it).
    /// </summary>
    Step,

    /// <summary>
    /// Leave its weights and optimiser state untouched for the iteration, as PyTorch does for a parameter without a
    /// gradient. Under <see cref="Step"/> an expert that drops out of selection keeps moving along its last momentum with
    /// no loss to check it; docs/engine.md ("Global loss spikes") measures its autoencoder output doubling per iteration.
    /// </summary>
    Hold,
}

/// <summary>Which experts a batch left unselected, as the optimiser's parameter-name prefixes.</summary>
public static class UnselectedExperts
{
    /// <summary>
    /// The parameter-name prefixes (<c>patch_experts.1.</c>, …) of the experts no image selected in <paramref name="routingMask"/>
    /// <c>[B, experts]</c>, in the model's routing order.
    /// </summary>
    public static IReadOnlyList<string> Prefixes(Tensor routingMask, AnomalyMoEOptions options)
    {
        var layout = options.Layout;
        var selected = routingMask.to_type(ScalarType.Float32).sum([0]).cpu().data<float>().ToArray();
        if (selected.Length != layout.Total)
            throw new ArgumentException($"The routing mask has {selected.Length} experts; the model has {layout.Total}.", nameof(routingMask));
        return Enumerable.Range(0, selected.Length).Where(e => !(selected[e] > 0)).Select(layout.ParameterPrefix).ToList();
    }
}
