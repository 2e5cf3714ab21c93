using AnomalyMoE.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AnomalyMoE.Encoders.Dinov2;

#pragma warning disable IDE1006 // snake_case names are the checkpoint's key names

/// <summary>
/// DINOv2 vision transformer whose state-dict keys are exactly those of DINOv2's <c>vision_transformer.py</c>
/// (<c>cls_token</c>, <c>pos_embed</c>, <c>register_tokens</c>, <c>mask_token</c>, <c>patch_embed.proj.*</c>,
/// <c>blocks.{i}.*</c>, <c>norm.*</c>), so official checkpoints load unchanged.
/// Token order: <c>[cls, registers..., patches (row-major)...]</c>.
/// </summary>
public sealed class DinoVisionTransformer : nn.Module<Tensor, Tensor>
{
    readonly Parameter cls_token;
    readonly Parameter pos_embed;
    readonly Parameter? register_tokens;
    // Unused at inference (DINOv2 replaces masked patches with it during iBOT training); kept because checkpoints carry it.
    readonly Parameter mask_token;
    readonly PatchEmbed patch_embed;
    readonly ModuleList<Dinov2Block> blocks;
    readonly LayerNorm norm;

    public Dinov2Options Options { get; }

    public DinoVisionTransformer(Dinov2Options options) : base(nameof(DinoVisionTransformer))
    {
        Options = options.Validate();
        int d = options.Width;
        cls_token = new Parameter(torch.zeros(1, 1, d));
        pos_embed = new Parameter(torch.zeros(1, 1 + options.PosEmbedGrid * options.PosEmbedGrid, d));
        register_tokens = options.RegisterTokens > 0 ? new Parameter(torch.zeros(1, options.RegisterTokens, d)) : null;
        mask_token = new Parameter(torch.zeros(1, d));
        patch_embed = new PatchEmbed(options.PatchSize, d);
        blocks = nn.ModuleList(Enumerable.Range(0, options.Depth).Select(_ => new Dinov2Block(options)).ToArray());
        norm = nn.LayerNorm(d, eps: options.LayerNormEps);
        RegisterComponents();
        Blocks = [.. blocks];
        InitialiseRandomly();
    }

    /// <summary>The transformer blocks, in order.</summary>
    public IReadOnlyList<Dinov2Block> Blocks { get; }

    /// <summary>
    /// Patch embedding, class token, positional embedding (interpolated to the input grid) and register tokens:
    /// the tokens entering block 0, <c>[B, 1 + R + gh·gw, D]</c>. Matches DINOv2's <c>prepare_tokens_with_masks</c>
    /// without masks: registers are inserted after the positional embedding is added, so they carry none.
    /// </summary>
    public Tensor PrepareTokens(Tensor images)
    {
        CheckImages(images);
        using var scope = NewDisposeScope();
        long batch = images.shape[0];
        var patches = patch_embed.forward(images);
        var withCls = torch.cat([cls_token.expand(batch, -1, -1), patches], dim: 1);
        var x = withCls + InterpolatedPositionEmbedding(images.shape[2], images.shape[3]);
        if (register_tokens is not null)
        {
            x = torch.cat([x[.., ..1], register_tokens.expand(batch, -1, -1), x[.., 1..]], dim: 1);
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Full forward: every block, then the final LayerNorm (DINOv2's <c>forward_features</c> token output).</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = PrepareTokens(images);
        foreach (var block in blocks) x = block.forward(x);
        return norm.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The positional embedding for an input of <paramref name="height"/>×<paramref name="width"/> pixels,
    /// <c>[1, 1 + gh·gw, D]</c>. As DINOv2's <c>interpolate_pos_encoding</c>: unchanged when the grid matches
    /// a square input; otherwise the patch part is resized bicubically (align_corners false, no antialias) with
    /// scale factor <c>(g + offset) / grid</c> per axis. The scale factor itself (not the recomputed size
    /// ratio) drives the sampling positions, as PyTorch's <c>interpolate</c> does when
    /// <c>recompute_scale_factor</c> is not set; the 0.1 offset guards the output size against rounding down
    /// (facebookresearch/dino issue 8). As DINOv2, the resize runs in float32 whatever the weights' type
    /// (<c>self.pos_embed.float()</c>) and the result is cast back to it.
    /// </summary>
    public Tensor InterpolatedPositionEmbedding(long height, long width)
    {
        long gh = height / Options.PatchSize, gw = width / Options.PatchSize;
        int grid = Options.PosEmbedGrid;
        if (gh * gw == (long)grid * grid && height == width) return pos_embed.alias();

        using var scope = NewDisposeScope();
        int d = Options.Width;
        var embed = pos_embed.to_type(ScalarType.Float32);
        var classPart = embed[.., ..1];
        var patchGrid = embed[.., 1..].reshape(1, grid, grid, d).permute(0, 3, 1, 2);
        Tensor resized;
        if (Options.InterpolateOffset > 0)
        {
            double[] scale = [(gh + Options.InterpolateOffset) / grid, (gw + Options.InterpolateOffset) / grid];
            resized = nn.functional.interpolate(patchGrid, scale_factor: scale, mode: InterpolationMode.Bicubic,
                align_corners: false, recompute_scale_factor: false);
        }
        else
        {
            resized = nn.functional.interpolate(patchGrid, size: [gh, gw], mode: InterpolationMode.Bicubic, align_corners: false);
        }
        if (resized.shape[2] != gh || resized.shape[3] != gw)
            throw new InvalidOperationException($"Positional embedding resized to {resized.shape[2]}×{resized.shape[3]}, expected {gh}×{gw}.");
        var patchPart = resized.permute(0, 2, 3, 1).reshape(1, gh * gw, d);
        return torch.cat([classPart, patchPart], dim: 1).to_type(pos_embed.dtype).MoveToOuterDisposeScope();
    }

    void CheckImages(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException($"DINOv2 expects an image batch [B, 3, H, W], got [{string.Join(", ", images.shape)}].");
        int p = Options.PatchSize;
        if (images.shape[2] % p != 0 || images.shape[3] % p != 0)
            throw new ArgumentException($"DINOv2 input height and width must be multiples of the patch size {p}, got {images.shape[2]}×{images.shape[3]}.");
    }

    /// <summary>DINOv2's initialisation (timm ViT): truncated normals for embeddings and linear weights, zero biases.</summary>
    void InitialiseRandomly()
    {
        using var noGrad = torch.no_grad();
        TorchInit.TruncatedNormal(pos_embed, mean: 0, std: 0.02, lower: -0.04, upper: 0.04);
        nn.init.normal_(cls_token, std: 1e-6);
        if (register_tokens is not null) nn.init.normal_(register_tokens, std: 1e-6);
        foreach (var (name, parameter) in named_parameters())
        {
            if (!name.StartsWith("blocks.", StringComparison.Ordinal)) continue;
            if (name.EndsWith("fc1.weight", StringComparison.Ordinal) || name.EndsWith("fc2.weight", StringComparison.Ordinal)
                || name.EndsWith("qkv.weight", StringComparison.Ordinal) || name.EndsWith("proj.weight", StringComparison.Ordinal))
                TorchInit.TruncatedNormal(parameter, mean: 0, std: 0.02, lower: -0.04, upper: 0.04);   // truncated at ±2 std (random encoders serve tests and benchmarks)
            else if (name.EndsWith(".bias", StringComparison.Ordinal) && !name.Contains(".norm", StringComparison.Ordinal))
                parameter.zero_();
        }
    }
}

/// <summary>Non-overlapping patch embedding: a stride-p convolution, flattened to <c>[B, gh·gw, D]</c> (key <c>patch_embed.proj</c>).</summary>
public sealed class PatchEmbed : nn.Module<Tensor, Tensor>
{
    readonly Conv2d proj;

    public PatchEmbed(int patchSize, int width) : base(nameof(PatchEmbed))
    {
        proj = nn.Conv2d(3, width, kernel_size: patchSize, stride: patchSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor images)
    {
        using var maps = proj.forward(images);
        using var flat = maps.flatten(2);
        return flat.transpose(1, 2);
    }
}
#pragma warning restore IDE1006
