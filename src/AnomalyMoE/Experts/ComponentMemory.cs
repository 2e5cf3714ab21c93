using AnomalyMoE.Runtime;
using static TorchSharp.torch;

namespace AnomalyMoE.Experts;

/// <summary>
/// The <see cref="ComponentMapKind.Memory"/> component map (a cpu-preset departure): a category's training normals kept as
/// their component features, the rows <see cref="ComponentFeatures.Extract"/> gives the component experts, one per kept
/// cluster of the category's segmenter. A component of an image scores its distance to the nearest normal's same
/// component, so a part no normal shows (a wrong colour, shape or texture of that part) stands out however rarely it
/// occurs. Distances are taken after standardising every component channel by the normals' spread, with a floor, as
/// <see cref="LayoutMemory"/> does. Nothing of it is trained. A normal the memory holds is compared only with the normals
/// outside its own sequence (<see cref="AnomalyMoE.Data.ImageSequences"/>), so the memory's own normals score as unseen
/// normals do, which is what calibrating on them needs.
/// </summary>
public sealed class ComponentMemory : IDisposable
{
    /// <summary>The floor of a channel's spread, as a share of the spread of all channels of all components.</summary>
    public const double SpreadFloor = LayoutMemory.SpreadFloor;

    readonly Tensor bank;      // [N, K, D], standardised
    readonly Tensor mean;      // [K, D]
    readonly Tensor scale;     // [K, D]
    readonly long[] imageKeys; // LayoutMemory.ImageKey of each normal
    readonly int[] sequences;  // sequence of each normal

    ComponentMemory(Tensor features, long[] imageKeys, int[] sequences)
    {
        this.imageKeys = imageKeys;
        this.sequences = sequences;
        using var scope = NewDisposeScope();
        mean = features.mean([0]).MoveToOuterDisposeScope();
        var spread = features.std(0, unbiased: false);
        scale = (spread + SpreadFloor * features.std()).MoveToOuterDisposeScope();
        bank = ((features - mean) / scale).MoveToOuterDisposeScope();
    }

    /// <summary>Components per image.</summary>
    public int Components => (int)bank.shape[1];

    /// <summary>How many normals the memory holds.</summary>
    public int Count => imageKeys.Length;

    /// <summary>
    /// A memory of normal component features <c>[N, K, D]</c> with each image's <see cref="LayoutMemory.ImageKey"/> and,
    /// optionally, its sequence (by default each image is its own); the tensor is copied.
    /// </summary>
    public static ComponentMemory Build(Tensor features, IReadOnlyList<long> imageKeys, IReadOnlyList<int>? sequences = null)
    {
        if (features.dim() != 3 || features.shape[1] < 1)
            throw new AnomalyMoEException($"A component memory needs features [N, K ≥ 1, D]; got [{string.Join(", ", features.shape)}].");
        if (features.shape[0] != imageKeys.Count)
            throw new AnomalyMoEException($"A component memory got {features.shape[0]} images' features but {imageKeys.Count} image keys.");
        var sequenceOf = sequences?.ToArray() ?? Enumerable.Range(0, imageKeys.Count).ToArray();
        if (sequenceOf.Length != imageKeys.Count)
            throw new AnomalyMoEException($"A component memory got {imageKeys.Count} image keys but {sequenceOf.Length} sequence indices.");
        if (sequenceOf.Distinct().Count() < 2)
            throw new AnomalyMoEException("A component memory needs normals of at least two sequences, so that each can be compared with another.");
        using var copy = features.detach().to(ScalarType.Float32).cpu();
        return new ComponentMemory(copy, imageKeys.ToArray(), sequenceOf);
    }

    /// <summary>
    /// Per component, the distance of one image's component features <c>[K, D]</c> to the nearest normal's same component,
    /// <c>[K]</c>; an image the memory holds (by <paramref name="imageKey"/>) is compared only with the normals outside its sequence.
    /// </summary>
    public Tensor Scores(Tensor features, long imageKey)
    {
        if (features.dim() != 2 || features.shape[0] != bank.shape[1] || features.shape[1] != bank.shape[2])
            throw new AnomalyMoEException($"Component features [{string.Join(", ", features.shape)}] do not match the memory's [{bank.shape[1]}, {bank.shape[2]}].");
        using var scope = NewDisposeScope();
        var device = features.device;
        var query = (features.to(ScalarType.Float32).cpu() - mean) / scale;                    // [K, D]
        var distances = (query.unsqueeze(0) - bank).pow(2).sum([2]);                           // [N, K]
        int held = Array.IndexOf(imageKeys, imageKey);
        if (held >= 0)
        {
            var own = imageKeys.Select((_, n) => sequences[n] == sequences[held]).ToArray();
            distances = distances.masked_fill(tensor(own).view(-1, 1), double.PositiveInfinity);
        }
        return distances.amin([0]).clamp_min(0).sqrt().to(features.dtype).to(device).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        bank.Dispose();
        mean.Dispose();
        scale.Dispose();
    }
}
