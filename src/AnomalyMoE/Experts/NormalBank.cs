using AnomalyMoE.Runtime;
using static TorchSharp.torch;

namespace AnomalyMoE.Experts;

/// <summary>
/// The normals a nonparametric memory compares with (<see cref="LayoutMemory"/>, <see cref="ComponentMemory"/>): rows
/// <c>[N, parts, D]</c> (layout cells or components) standardised per part channel by the normals' spread, with a floor
/// since a category may have a dozen normals, each row with its image's key and sequence. A normal the bank holds is
/// compared only with the normals outside its sequence, so the bank's own normals score as unseen normals do.
/// </summary>
sealed class NormalBank : IDisposable
{
    /// <summary>The floor of a channel's spread, as a share of the spread of all channels of all parts.</summary>
    public const double SpreadFloor = 0.1;

    readonly Tensor mean;      // [parts, D]
    readonly Tensor scale;     // [parts, D]
    readonly long[] imageKeys;
    readonly int[] sequences;

    NormalBank(Tensor rows, long[] imageKeys, int[] sequences)
    {
        this.imageKeys = imageKeys;
        this.sequences = sequences;
        using var scope = NewDisposeScope();
        mean = rows.mean([0]).MoveToOuterDisposeScope();
        scale = (rows.std(0, unbiased: false) + SpreadFloor * rows.std()).MoveToOuterDisposeScope();
        Rows = ((rows - mean) / scale).MoveToOuterDisposeScope();
    }

    /// <summary>The standardised normals <c>[N, parts, D]</c>.</summary>
    public Tensor Rows { get; }

    public IReadOnlyList<long> ImageKeys => imageKeys;
    public IReadOnlyList<int> Sequences => sequences;

    /// <summary>
    /// A bank of <paramref name="rows"/> <c>[N, parts, D]</c> (copied) with each image's key and, optionally, its sequence
    /// (by default each image is its own); <paramref name="memory"/> names the memory in errors.
    /// </summary>
    public static NormalBank Build(Tensor rows, IReadOnlyList<long> imageKeys, IReadOnlyList<int>? sequences, string memory)
    {
        if (rows.dim() != 3 || rows.shape[1] < 1)
            throw new AnomalyMoEException($"A {memory} needs rows [N, parts ≥ 1, D]; got [{string.Join(", ", rows.shape)}].");
        if (rows.shape[0] != imageKeys.Count)
            throw new AnomalyMoEException($"A {memory} got {rows.shape[0]} images' rows but {imageKeys.Count} image keys.");
        if (rows.shape[0] < 2)
            throw new AnomalyMoEException($"A {memory} needs at least two normal images to compare with; got {rows.shape[0]}.");
        var sequenceOf = sequences?.ToArray() ?? Enumerable.Range(0, imageKeys.Count).ToArray();
        if (sequenceOf.Length != imageKeys.Count)
            throw new AnomalyMoEException($"A {memory} got {imageKeys.Count} image keys but {sequenceOf.Length} sequence indices.");
        if (sequenceOf.Distinct().Count() < 2)
            throw new AnomalyMoEException($"A {memory} needs normals of at least two sequences, so that each can be compared with another.");
        using var copy = rows.detach().to(ScalarType.Float32).cpu();
        return new NormalBank(copy, imageKeys.ToArray(), sequenceOf);
    }

    /// <summary>Queries <c>[B, parts, D]</c> standardised as the normals are, on the CPU in float32.</summary>
    public Tensor Standardize(Tensor queries)
    {
        using var scope = NewDisposeScope();
        return ((queries.to(ScalarType.Float32).cpu() - mean) / scale).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>[B, N]</c>: true where normal n is of the sequence of image b, which the bank holds (by <paramref name="imageKeys"/>);
    /// an image the bank does not hold has no such normal.
    /// </summary>
    public Tensor OwnSequence(IReadOnlyList<long> imageKeys)
    {
        var own = new bool[imageKeys.Count * this.imageKeys.Length];
        for (int b = 0; b < imageKeys.Count; b++)
        {
            int held = Array.IndexOf(this.imageKeys, imageKeys[b]);
            if (held < 0) continue;
            for (int n = 0; n < this.imageKeys.Length; n++)
                own[b * this.imageKeys.Length + n] = sequences[n] == sequences[held];
        }
        return tensor(own).view(imageKeys.Count, this.imageKeys.Length);
    }

    /// <summary>The normals' rows as they were given.</summary>
    public Tensor Unstandardized()
    {
        using var scope = NewDisposeScope();
        return (Rows * scale + mean).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Rows.Dispose();
        mean.Dispose();
        scale.Dispose();
    }
}
