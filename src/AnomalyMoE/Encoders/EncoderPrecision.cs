using AnomalyMoE.Runtime;
using static TorchSharp.torch;

namespace AnomalyMoE.Encoders;

/// <summary>
/// The number format the frozen encoder computes in. Experts, router, losses and optimiser state are float32 either way:
/// only the encoder, the dominant cost of an iteration (a ViT-B/14 over two views per image at the paper configuration),
/// changes. TorchSharp 0.107 binds no <c>torch.autocast</c>, so <see cref="BFloat16"/> is the explicit equivalent of the
/// reference's bf16 autocast around the encoder: weights converted once, input cast down, token maps cast back up.
/// </summary>
public enum EncoderPrecision
{
    /// <summary>float32 throughout (the default).</summary>
    Float32,

    /// <summary>Encoder weights and activations in bfloat16; its token maps and class token handed on as float32. Meant for CUDA.</summary>
    BFloat16,
}

/// <summary>Names and application of <see cref="EncoderPrecision"/>; <see cref="Training.Switches.RunSwitches.Precision"/> parses them.</summary>
public static class EncoderPrecisions
{
    /// <summary>The command-line names, in <see cref="EncoderPrecision"/> order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["fp32", "bf16"];

    /// <summary>The command-line name: <c>fp32</c> or <c>bf16</c>.</summary>
    public static string Name(this EncoderPrecision precision) => precision switch
    {
        EncoderPrecision.Float32 => "fp32",
        EncoderPrecision.BFloat16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "unknown precision"),
    };

    /// <summary>
    /// The encoder that runs <paramref name="encoder"/> in <paramref name="precision"/>: the encoder itself for float32, a
    /// <see cref="BFloat16Encoder"/> that takes ownership of it (and converts its weights now) for bfloat16.
    /// </summary>
    public static IFeatureEncoder WithPrecision(this IFeatureEncoder encoder, EncoderPrecision precision) => precision switch
    {
        EncoderPrecision.Float32 => encoder,
        EncoderPrecision.BFloat16 => encoder as BFloat16Encoder ?? new BFloat16Encoder(encoder),
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "unknown precision"),
    };
}

/// <summary>
/// Runs a frozen encoder in bfloat16 behind the float32 <see cref="IFeatureEncoder"/> contract: converts the inner
/// encoder's weights to bfloat16 once (at construction), casts each image batch to bfloat16, and returns the token maps
/// and class token cast back to float32, so everything downstream (experts, router, losses, optimiser state) is unchanged.
/// Owns the inner encoder.
/// </summary>
public sealed class BFloat16Encoder : IFeatureEncoder
{
    readonly IFeatureEncoder inner;

    public BFloat16Encoder(IFeatureEncoder inner)
    {
        this.inner = inner ?? throw new ArgumentNullException(nameof(inner));
        inner.ConvertWeights(ScalarType.BFloat16);
    }

    public EncoderInfo Info => inner.Info;

    /// <summary>The wrapped encoder (its weights are bfloat16).</summary>
    public IFeatureEncoder Inner => inner;

    /// <summary>Encodes a float32 batch in bfloat16; every returned tensor is float32.</summary>
    public EncoderOutput Encode(Tensor images, IReadOnlyList<int> layers)
    {
        using var noGrad = no_grad();
        using var reduced = images.to_type(ScalarType.BFloat16);
        using var output = inner.Encode(reduced, layers);
        var maps = new List<Tensor>(output.Layers.Count);
        try
        {
            foreach (var map in output.Layers) maps.Add(map.to_type(ScalarType.Float32));
            return new EncoderOutput(maps, output.GlobalToken.to_type(ScalarType.Float32), output.GridH, output.GridW);
        }
        catch
        {
            foreach (var map in maps) map.Dispose();
            throw;
        }
    }

    /// <summary>The format is this encoder's identity: only bfloat16 is accepted (a no-op).</summary>
    public void ConvertWeights(ScalarType dtype)
    {
        if (dtype != ScalarType.BFloat16)
            throw new NotSupportedException($"A {nameof(BFloat16Encoder)} keeps its weights in bfloat16; unwrap {nameof(Inner)} to use {dtype}.");
    }

    public void MoveTo(Device device) => inner.MoveTo(device);

    public void Dispose() => inner.Dispose();
}
