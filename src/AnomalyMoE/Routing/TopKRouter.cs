using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Routing;

/// <summary>
/// Configuration of the router (the reference's <c>GatingNetwork</c> plus its top-k rule).
/// </summary>
/// <param name="Hidden">Hidden width of the MLP D → Hidden → E (reference 256).</param>
/// <param name="TopK">How many experts each image selects across all levels (paper 3).</param>
public sealed record RouterOptions(int Hidden = 256, int TopK = 3)
{
    public static RouterOptions Paper { get; } = new();

    public RouterOptions Validate(int expertCount)
    {
        if (Hidden <= 0) throw new ArgumentOutOfRangeException(nameof(Hidden), Hidden, "Router Hidden must be positive.");
        if (TopK < 1 || TopK > expertCount)
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, $"TopK must be between 1 and the number of experts ({expertCount}).");
        return this;
    }
}

/// <summary>
/// The router's decision for a batch. Owns its tensors.
/// </summary>
/// <param name="RawLogits"><c>[B,E]</c> router logits before any selection (used by ESB).</param>
/// <param name="Weights"><c>[B,E]</c>: softmax over each image's k largest logits, zero elsewhere.</param>
/// <param name="Mask"><c>[B,E]</c> float 0/1: which experts each image selected.</param>
public sealed record RoutingDecision(Tensor RawLogits, Tensor Weights, Tensor Mask) : IDisposable
{
    /// <summary>Whether any image of the batch selected expert <paramref name="expert"/> (the sparse mode's skip test).</summary>
    public bool AnySelected(int expert)
    {
        using var column = Mask[.., expert];
        using var any = column.sum();
        return any.item<float>() > 0;
    }

    public void Dispose()
    {
        RawLogits.Dispose();
        Weights.Dispose();
        Mask.Dispose();
    }
}

/// <summary>
/// Top-k router: an MLP D → Hidden → E with ReLU on the encoder's class token after the last block (no final norm).
/// Keeps each image's k largest logits, applies softmax over those k and scatters the weights back (zeros elsewhere),
/// as the reference's <c>AnomalyMoE.forward</c> does. Keys <c>gate.0.*</c>, <c>gate.2.*</c> (reference <c>gating_network.gate</c>).
/// </summary>
public sealed class TopKRouter : Module<Tensor, RoutingDecision>
{
    readonly Sequential gate;

    public int ExpertCount { get; }
    public RouterOptions Options { get; }

    public TopKRouter(int width, int expertCount, RouterOptions options) : base(nameof(TopKRouter))
    {
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), width, "Router input width must be positive.");
        if (expertCount <= 0) throw new ArgumentOutOfRangeException(nameof(expertCount), expertCount, "The router needs at least one expert.");
        Options = options.Validate(expertCount);
        ExpertCount = expertCount;
        gate = Sequential(("0", Linear(width, options.Hidden)), ("1", ReLU()), ("2", Linear(options.Hidden, expertCount)));
        RegisterComponents();
    }

    /// <summary><c>classToken [B,D]</c> → the routing decision.</summary>
    public override RoutingDecision forward(Tensor classToken)
    {
        using var scope = NewDisposeScope();
        var logits = gate.forward(classToken);
        var decision = Select(logits, Options.TopK);
        logits.MoveToOuterDisposeScope();
        decision.Weights.MoveToOuterDisposeScope();
        decision.Mask.MoveToOuterDisposeScope();
        return decision;
    }

    /// <summary>The top-k rule on given logits <c>[B,E]</c>; the decision's <see cref="RoutingDecision.RawLogits"/> is <paramref name="logits"/> itself.</summary>
    public static RoutingDecision Select(Tensor logits, int topK)
    {
        if (topK < 1 || topK > logits.shape[1])
            throw new ArgumentOutOfRangeException(nameof(topK), topK, $"TopK must be between 1 and the number of experts ({logits.shape[1]}).");
        using var scope = NewDisposeScope();
        var (topValues, topIndices) = logits.topk(topK, dim: 1);
        var sparse = functional.softmax(topValues, dim: 1);
        var weights = zeros_like(logits).scatter(1, topIndices, sparse);
        var mask = zeros_like(logits).scatter(1, topIndices, ones_like(sparse));
        return new RoutingDecision(logits, weights.MoveToOuterDisposeScope(), mask.detach().MoveToOuterDisposeScope());
    }
}
