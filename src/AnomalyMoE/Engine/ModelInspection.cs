using AnomalyMoE.Model;
using AnomalyMoE.Objectives;
using static TorchSharp.torch;

namespace AnomalyMoE.Engine;

/// <summary>
/// What one forward pass of a model shows on a batch, for teaching and for looking inside a run: each level's raw map
/// <c>[B,1,H,W]</c> and each expert's own map (those that ran, in routing order), the router's weights <c>[B,E]</c>, and
/// the loss terms training would compute for the batch (<see cref="AnomalyMoELossTerms.Values"/>). Everything on the CPU;
/// owns its tensors.
/// </summary>
public sealed class ModelInspection(LevelMapSet levelMaps, IReadOnlyList<(string Expert, Tensor Map)> expertMaps, Tensor routingWeights,
    IReadOnlyDictionary<string, double> losses) : IDisposable
{
    public LevelMapSet LevelMaps { get; } = levelMaps;
    public IReadOnlyList<(string Expert, Tensor Map)> ExpertMaps { get; } = expertMaps;
    public Tensor RoutingWeights { get; } = routingWeights;
    public IReadOnlyDictionary<string, double> Losses { get; } = losses;

    /// <summary>
    /// Runs <paramref name="model"/> on <paramref name="input"/> in evaluation mode without gradients. <paramref name="seed"/>
    /// draws EIR's pairs and permutations; the maps are at <paramref name="height"/> × <paramref name="width"/>, the images' size.
    /// </summary>
    public static ModelInspection Run(AnomalyMoEModel model, ExpertInformationRepulsion eir, AnomalyMoEInput input, int seed, long height, long width)
    {
        var options = model.Options;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        eir.eval();
        using var output = model.forward(input);
        using var terms = AnomalyMoELoss.Compute(output, options, options.Objectives.UseEir ? eir : null, new Random(seed));
        using var levels = model.LevelMaps(output, height, width);
        var maps = new LevelMapSet(Detached(levels.Patch), Detached(levels.Global), Detached(levels.Component));
        var experts = model.ExpertMaps(output, height, width).Select(e => (e.Expert, Detached(e.Map)!)).ToList();
        return new ModelInspection(maps, experts, Detached(output.Routing.Weights)!, terms.Values());
    }

    static Tensor? Detached(Tensor? map) => map?.detach().cpu().clone().MoveToOuterDisposeScope();

    public void Dispose()
    {
        LevelMaps.Dispose();
        foreach (var (_, map) in ExpertMaps) map.Dispose();
        RoutingWeights.Dispose();
    }
}
