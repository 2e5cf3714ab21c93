using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Routing;

/// <summary>Among which experts the top-k rule picks.</summary>
public enum RoutingScope
{
    /// <summary>
    /// The reference rule: each image keeps its k largest logits over all experts of every level, softmax over those k.
    /// The router may then leave a whole level unused; since unselected experts get no gradient, such a level stays untrained.
    /// </summary>
    AllExperts,

    /// <summary>
    /// Each image keeps its k largest logits within every expert level, with a softmax per level, so every level runs for
    /// every image with weights that sum to 1 per level; the router still chooses which experts of a level serve an image.
    /// </summary>
    PerLevel,
}

/// <summary>
/// Configuration of the router (the reference's <c>GatingNetwork</c> plus its top-k rule).
/// </summary>
/// <param name="Hidden">Hidden width of the MLP D → Hidden → E (reference 256).</param>
/// <param name="TopK">How many experts each image selects: across all levels (paper 3), or in each level with <see cref="RoutingScope.PerLevel"/>.</param>
/// <param name="Scope">Where the top-k rule picks (the reference: <see cref="RoutingScope.AllExperts"/>).</param>
public sealed record RouterOptions(int Hidden = 256, int TopK = 3, RoutingScope Scope = RoutingScope.AllExperts)
{
    public static RouterOptions Paper { get; } = new();

    /// <summary>Checks the options against the model's expert levels (their sizes in routing order; zero-sized levels are absent).</summary>
    public RouterOptions Validate(int expertCount, IReadOnlyList<int>? levelSizes = null)
    {
        if (Hidden <= 0) throw new ArgumentOutOfRangeException(nameof(Hidden), Hidden, "Router Hidden must be positive.");
        if (!Enum.IsDefined(Scope)) throw new ArgumentOutOfRangeException(nameof(Scope), Scope, "Unknown routing scope.");
        if (Scope == RoutingScope.PerLevel)
        {
            var sizes = (levelSizes ?? [expertCount]).Where(n => n > 0).ToArray();
            if (sizes.Sum() != expertCount)
                throw new ArgumentException($"The level sizes [{string.Join(", ", levelSizes ?? [])}] do not add up to the {expertCount} experts.", nameof(levelSizes));
            if (TopK < 1 || TopK > sizes.Min())
                throw new ArgumentOutOfRangeException(nameof(TopK), TopK, $"With per-level routing TopK must be between 1 and the smallest level's expert count ({sizes.Min()}).");
        }
        else if (TopK < 1 || TopK > expertCount)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, $"TopK must be between 1 and the number of experts ({expertCount}).");
        }
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
/// as the reference's <c>AnomalyMoE.forward</c> does — over all experts, or within each level
/// (<see cref="RoutingScope.PerLevel"/>). Keys <c>gate.0.*</c>, <c>gate.2.*</c> (reference <c>gating_network.gate</c>).
/// </summary>
public sealed class TopKRouter : Module<Tensor, RoutingDecision>
{
    readonly Sequential gate;

    public int ExpertCount { get; }
    public RouterOptions Options { get; }

    /// <summary>Expert count of each level in routing order (patch, global, component), zero-sized levels included.</summary>
    public IReadOnlyList<int> LevelSizes { get; }

    /// <param name="levelSizes">Expert count per level in routing order; needed by <see cref="RoutingScope.PerLevel"/> (default: one level of all experts).</param>
    public TopKRouter(int width, int expertCount, RouterOptions options, IReadOnlyList<int>? levelSizes = null) : base(nameof(TopKRouter))
    {
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), width, "Router input width must be positive.");
        if (expertCount <= 0) throw new ArgumentOutOfRangeException(nameof(expertCount), expertCount, "The router needs at least one expert.");
        Options = options.Validate(expertCount, levelSizes);
        ExpertCount = expertCount;
        LevelSizes = levelSizes?.ToArray() ?? [expertCount];
        gate = Sequential(("0", Linear(width, options.Hidden)), ("1", ReLU()), ("2", Linear(options.Hidden, expertCount)));
        RegisterComponents();
    }

    /// <summary><c>classToken [B,D]</c> → the routing decision.</summary>
    public override RoutingDecision forward(Tensor classToken)
    {
        using var scope = NewDisposeScope();
        var logits = gate.forward(classToken);
        var decision = Options.Scope == RoutingScope.PerLevel ? SelectPerLevel(logits, Options.TopK, LevelSizes) : Select(logits, Options.TopK);
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
        return SelectPerLevel(logits, topK, [(int)logits.shape[1]]);
    }

    /// <summary>
    /// The top-k rule applied within each level: <paramref name="levelSizes"/> splits the logits' columns into consecutive
    /// levels (zero-sized ones are skipped); each level keeps its k largest logits with a softmax over them.
    /// </summary>
    public static RoutingDecision SelectPerLevel(Tensor logits, int topK, IReadOnlyList<int> levelSizes)
    {
        if (levelSizes.Sum() != logits.shape[1])
            throw new ArgumentException($"Level sizes [{string.Join(", ", levelSizes)}] do not add up to the {logits.shape[1]} logits.", nameof(levelSizes));
        using var scope = NewDisposeScope();
        var weights = zeros_like(logits);
        var mask = zeros_like(logits);
        int start = 0;
        foreach (var size in levelSizes)
        {
            if (size == 0) continue;
            if (topK < 1 || topK > size)
                throw new ArgumentOutOfRangeException(nameof(topK), topK, $"TopK must be between 1 and every level's expert count (a level has {size}).");
            var (topValues, topIndices) = logits[.., start..(start + size)].topk(topK, dim: 1);
            var columns = topIndices + start;
            var sparse = functional.softmax(topValues, dim: 1);
            weights = weights.scatter(1, columns, sparse);
            mask = mask.scatter(1, columns, ones_like(sparse));
            start += size;
        }
        return new RoutingDecision(logits, weights.MoveToOuterDisposeScope(), mask.detach().MoveToOuterDisposeScope());
    }
}
