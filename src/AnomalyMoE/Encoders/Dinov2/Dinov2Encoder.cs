using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Encoders.Dinov2;

/// <summary>
/// The paper's frozen encoder: a DINOv2 ViT in eval mode with no parameter gradients, run under
/// <c>no_grad</c>. Layer <c>i</c> is the output of block <c>i</c> (0-based) before the final LayerNorm, as the
/// reference AnomalyMoE collects it (<c>x = blk(x)</c> per block in <c>models/anomalymoe.py</c>). The global token is
/// the class token after the last block, also without the final norm: the reference router reads
/// <c>x[:, 0, :]</c> of the last block's output.
/// </summary>
public sealed class Dinov2Encoder : IFeatureEncoder
{
    readonly DinoVisionTransformer model;

    Dinov2Encoder(DinoVisionTransformer model)
    {
        this.model = model;
        model.eval();
        foreach (var parameter in model.parameters()) parameter.requires_grad_(false);
        var o = model.Options;
        Info = new EncoderInfo(o.Name, o.Width, o.PatchSize, o.Depth, o.PrefixTokens, ImageNormalization.ImageNet);
    }

    public EncoderInfo Info { get; }

    public Dinov2Options Options => model.Options;

    /// <summary>The underlying module (for inspection and benchmarks; its weights are frozen).</summary>
    public DinoVisionTransformer Model => model;

    /// <summary>An encoder with DINOv2's random initialisation (for throughput measurements and tests).</summary>
    public static Dinov2Encoder CreateRandom(Dinov2Options options, long? seed = null)
    {
        TorchRuntime.EnsureLoaded();
        if (seed is { } s) torch.manual_seed(s);
        return new Dinov2Encoder(new DinoVisionTransformer(options));
    }

    /// <summary>
    /// Loads an official DINOv2 checkpoint or the <c>encoder.*</c> part of an AnomalyMoE checkpoint (see
    /// <see cref="Dinov2Checkpoint.LoadInto(DinoVisionTransformer, string)"/>); strict about keys and shapes.
    /// </summary>
    public static Dinov2Encoder Load(string path, Dinov2Options options)
    {
        var tensors = TorchFile.LoadTensors(path);
        try
        {
            return Load(tensors, options, path);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Loads from an already-read name → tensor dict (e.g. a whole AnomalyMoE checkpoint); <paramref name="source"/> names it in errors.</summary>
    public static Dinov2Encoder Load(IReadOnlyDictionary<string, Tensor> tensors, Dinov2Options options, string source)
    {
        TorchRuntime.EnsureLoaded();
        var model = new DinoVisionTransformer(options);
        try
        {
            Dinov2Checkpoint.LoadInto(model, tensors, source);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return new Dinov2Encoder(model);
    }

    /// <summary>The tokens entering block 0 (patch embedding + positional embedding + registers), <c>[B, N, D]</c>.</summary>
    public Tensor PrepareTokens(Tensor images)
    {
        using var noGrad = torch.no_grad();
        return model.PrepareTokens(images);
    }

    public EncoderOutput Encode(Tensor images, IReadOnlyList<int> layers)
    {
        foreach (var layer in layers)
        {
            if (layer < 0 || layer >= model.Options.Depth)
                throw new ArgumentOutOfRangeException(nameof(layers), layer,
                    $"Layer {layer} does not exist in {model.Options.Name}: blocks are numbered 0..{model.Options.Depth - 1}.");
        }
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var requested = layers.ToHashSet();
        var blockOutputs = new Tensor?[model.Options.Depth];
        var x = model.PrepareTokens(images);
        for (int i = 0; i < blockOutputs.Length; i++)
        {
            var next = model.Blocks[i].forward(x);
            // Free token maps nobody asked for at once: all blocks' maps of a large ViT batch would not fit in memory.
            if (i == 0 || !requested.Contains(i - 1)) x.Dispose();
            x = next;
            if (requested.Contains(i)) blockOutputs[i] = x;
        }
        // detach() gives each requested map its own handle, so a layer requested twice is disposed safely.
        var maps = layers.Select(i => blockOutputs[i]!.detach().MoveToOuterDisposeScope()).ToList();
        var global = x.select(1, 0).contiguous().MoveToOuterDisposeScope();
        int p = model.Options.PatchSize;
        return new EncoderOutput(maps, global, (int)(images.shape[2] / p), (int)(images.shape[3] / p));
    }

    public void MoveTo(Device device) => model.to(device);

    public void ConvertWeights(ScalarType dtype)
    {
        model.to(dtype);
        foreach (var parameter in model.parameters()) parameter.requires_grad_(false);
    }

    public void Dispose() => model.Dispose();
}
