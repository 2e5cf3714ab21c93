using static TorchSharp.torch;

namespace AnomalyMoE.Data;

/// <summary>
/// One batch of transformed images. Owns its tensors: dispose it (or move the tensors elsewhere and dispose those).
/// </summary>
/// <param name="Images">Normalised images <c>[B, 3, C, C]</c> float32 (the patch and component experts' view).</param>
/// <param name="Jittered">The colour-jittered view <c>[B, 3, C, C]</c> for the global experts; null when not requested.</param>
/// <param name="Masks">Ground truth <c>[B, 1, C, C]</c> float32, 1 = anomalous pixel; zeros for normal and image-level-only images.</param>
/// <param name="Records">The images, in batch order.</param>
/// <param name="Epoch">The pass over the data this batch belongs to (0-based; in endless mode a batch may start in one epoch and end in the next, and carries the first).</param>
public sealed record ImageBatch(Tensor Images, Tensor? Jittered, Tensor Masks, IReadOnlyList<ImageRecord> Records, int Epoch) : IDisposable
{
    public int Count => Records.Count;

    /// <summary>Image-level labels (0 normal, 1 anomalous), in batch order.</summary>
    public int[] Labels => Records.Select(r => r.Label).ToArray();

    public void Dispose()
    {
        Images.Dispose();
        Jittered?.Dispose();
        Masks.Dispose();
    }
}
