using AnomalyMoE.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Support;

/// <summary>
/// A stand-in encoder: tokens are the 14×14 cell means of the image (3 channels and a constant) behind one class token,
/// scaled by the tap index; counts its calls.
/// </summary>
public sealed class CountingEncoder : IFeatureEncoder
{
    public int Calls { get; private set; }
    public EncoderInfo Info { get; } = new("cell-mean", 4, 14, 2, 1, ImageNormalization.ImageNet);

    public EncoderOutput Encode(Tensor images, IReadOnlyList<int> layers)
    {
        Calls++;
        using var scope = NewDisposeScope();
        var cells = nn.functional.avg_pool2d(images, 14);
        var tokens = cat([cells, ones_like(cells[.., ..1])], 1).flatten(2).permute(0, 2, 1);
        var withCls = cat([zeros(images.shape[0], 1, 4), tokens], 1);
        var maps = layers.Select(l => (withCls * (l + 1)).MoveToOuterDisposeScope()).ToArray();
        return new EncoderOutput(maps, images.mean([2, 3]).MoveToOuterDisposeScope(), (int)cells.shape[2], (int)cells.shape[3]);
    }

    public void MoveTo(Device device) { }
    public void ConvertWeights(ScalarType dtype) { }
    public void Dispose() { }
}
