using static TorchSharp.torch;

namespace AnomalyMoE.Data;

/// <summary>
/// One batch of transformed images. Owns its tensors: dispose it (or move the tensors elsewhere and dispose those).
/// </summary>
/// <param name="images">Normalised images <c>[B, 3, C, C]</c> float32 (the patch and component experts' view).</param>
/// <param name="jittered">The colour-jittered view <c>[B, 3, C, C]</c> for the global experts; null when not requested.</param>
/// <param name="masks">Ground truth <c>[B, 1, C, C]</c> float32, 1 = anomalous pixel; zeros for normal and image-level-only images.</param>
/// <param name="records">The images, in batch order.</param>
/// <param name="epoch">The pass over the data this batch belongs to (0-based; in endless mode a batch may start in one epoch and end in the next, and carries the first).</param>
public sealed class ImageBatch(Tensor images, Tensor? jittered, Tensor masks, IReadOnlyList<ImageRecord> records, int epoch) : IDisposable
{
    public Tensor Images { get; } = images;
    public Tensor? Jittered { get; } = jittered;
    public Tensor Masks { get; } = masks;
    public IReadOnlyList<ImageRecord> Records { get; } = records;
    public int Epoch { get; } = epoch;

    public int Count => Records.Count;

    /// <summary>Image-level labels (0 normal, 1 anomalous), in batch order.</summary>
    public int[] Labels => Records.Select(r => r.Label).ToArray();

    /// <summary>The batch on another device: a new batch owning its own tensors (this one stays valid and must be disposed too).</summary>
    public ImageBatch To(Device device) => new(Moved(Images, device), Jittered is null ? null : Moved(Jittered, device), Moved(Masks, device), Records, Epoch);

    static Tensor Moved(Tensor tensor, Device device)
    {
        var moved = tensor.to(device);
        // Tensor.to may hand back the same object when nothing moves; give the new batch its own handle.
        return ReferenceEquals(moved, tensor) ? tensor.alias() : moved;
    }

    public void Dispose()
    {
        Images.Dispose();
        Jittered?.Dispose();
        Masks.Dispose();
    }
}
