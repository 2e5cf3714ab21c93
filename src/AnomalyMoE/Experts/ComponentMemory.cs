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
    readonly NormalBank bank;   // [N, K, D]

    ComponentMemory(NormalBank bank) => this.bank = bank;

    /// <summary>Components per image.</summary>
    public int Components => (int)bank.Rows.shape[1];

    /// <summary>
    /// A memory of normal component features <c>[N, K, D]</c> with each image's <see cref="LayoutMemory.ImageKey"/> and,
    /// optionally, its sequence (by default each image is its own); the tensor is copied.
    /// </summary>
    public static ComponentMemory Build(Tensor features, IReadOnlyList<long> imageKeys, IReadOnlyList<int>? sequences = null) =>
        new(NormalBank.Build(features, imageKeys, sequences, "component memory"));

    /// <summary>
    /// Per component, the distance of one image's component features <c>[K, D]</c> to the nearest normal's same component,
    /// <c>[K]</c>; an image the memory holds (by <paramref name="imageKey"/>) is compared only with the normals outside its sequence.
    /// </summary>
    public Tensor Scores(Tensor features, long imageKey)
    {
        var normals = bank.Rows;
        if (features.dim() != 2 || features.shape[0] != normals.shape[1] || features.shape[1] != normals.shape[2])
            throw new AnomalyMoEException($"Component features [{string.Join(", ", features.shape)}] do not match the memory's [{normals.shape[1]}, {normals.shape[2]}].");
        using var scope = NewDisposeScope();
        var query = bank.Standardize(features.unsqueeze(0));                                  // [1, K, D]
        var distances = (query - normals).pow(2).sum([2]);                                     // [N, K]
        var own = bank.OwnSequence([imageKey]).view(-1, 1);                                    // [N, 1]
        return distances.masked_fill(own, double.PositiveInfinity).amin([0]).clamp_min(0).sqrt()
            .to(features.dtype).to(features.device).MoveToOuterDisposeScope();
    }

    public void Dispose() => bank.Dispose();
}
