using static TorchSharp.torch;

namespace AnomalyMoE.Encoders;

/// <summary>
/// What every frozen encoder tells its consumers about its token maps.
/// Token order in every map is <c>[cls, registers..., patches...]</c>: <see cref="PrefixTokens"/>
/// = 1 + register count, then <c>GridH·GridW</c> patch tokens in row-major order.
/// </summary>
/// <param name="Name">Registry name, e.g. <c>dinov2_vitb14_reg4</c> or <c>resnet18_onnx</c>.</param>
/// <param name="Width">Embedding width D of every token map.</param>
/// <param name="PatchSize">Input pixels per grid cell (14 for DINOv2; the stride for CNNs).</param>
/// <param name="LayerCount">How many token maps can be requested (indices 0..LayerCount-1).</param>
/// <param name="PrefixTokens">Class token plus register tokens in front of the patch tokens.</param>
/// <param name="Normalization">Expected input normalisation, documented for users.</param>
public sealed record EncoderInfo(string Name, int Width, int PatchSize, int LayerCount, int PrefixTokens, ImageNormalization Normalization);

/// <summary>Per-channel mean and standard deviation applied to RGB values in [0, 1].</summary>
public sealed record ImageNormalization(float[] Mean, float[] Std)
{
    public static ImageNormalization ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
}

/// <summary>
/// The token maps of the requested layers for one image batch. Owns its tensors.
/// <see cref="Layers"/>: one <c>[B, PrefixTokens + GridH·GridW, D]</c> map per requested layer, in request order.
/// <see cref="GlobalToken"/>: <c>[B, D]</c>, the class token after the last block (what the router reads).
/// </summary>
public sealed class EncoderOutput(IReadOnlyList<Tensor> layers, Tensor globalToken, int gridH, int gridW) : IDisposable
{
    public IReadOnlyList<Tensor> Layers { get; } = layers;
    public Tensor GlobalToken { get; } = globalToken;
    public int GridH { get; } = gridH;
    public int GridW { get; } = gridW;

    public void Dispose()
    {
        foreach (var t in Layers) t.Dispose();
        GlobalToken.Dispose();
    }
}

/// <summary>
/// A frozen pretrained feature encoder: eval mode, no autograd graph, no parameter gradients.
/// Input: a normalised image batch <c>[B, 3, H, W]</c> (see <see cref="EncoderInfo.Normalization"/>).
/// </summary>
public interface IFeatureEncoder : IDisposable
{
    EncoderInfo Info { get; }

    /// <summary>Encodes a batch and returns the requested layers' token maps (0-based block indices).</summary>
    EncoderOutput Encode(Tensor images, IReadOnlyList<int> layers);

    /// <summary>Moves the encoder's weights to a device.</summary>
    void MoveTo(Device device);

    /// <summary>
    /// Converts the encoder's floating-point weights and buffers to <paramref name="dtype"/> (float32 or bfloat16, see
    /// <see cref="EncoderPrecision"/>). <see cref="Encode"/> then expects images of that type and returns maps of that type.
    /// </summary>
    void ConvertWeights(ScalarType dtype);
}
