using AnomalyMoE.Experts.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Experts;

/// <summary>
/// Configuration of one patch (structural-level) expert: a noisy MLP bottleneck followed by a stack of
/// linear-attention transformer blocks (reference: Dinomaly's <c>bMlp</c> + <c>Block(attn=LinearAttention2)</c>).
/// </summary>
/// <param name="EmbedDim">Token width D (the encoder width).</param>
/// <param name="Heads">Attention heads of every decoder block (reference: the encoder's head count, 12 for ViT-B).</param>
/// <param name="DecoderDepth">Number of decoder blocks (reference 8).</param>
/// <param name="BottleneckHidden">Hidden width of the bottleneck MLP; <c>null</c> = 4·D as in the reference.</param>
/// <param name="BottleneckDropout">Dropout on the bottleneck's input, after its activation and after its output (reference 0.2).</param>
/// <param name="MlpRatio">Hidden width of each block's MLP relative to D (reference 4).</param>
/// <param name="LayerNormEps">Epsilon of the blocks' LayerNorms (reference 1e-8).</param>
/// <param name="QkvBias">Whether the attention's qkv projection has a bias (reference true).</param>
/// <param name="DecoderGroups">
/// Which decoder outputs are averaged into each output map. Indices count the blocks' outputs in reverse order
/// (0 = the last block), as the reference reverses them before fusing; reference [[0,1,2,3],[4,5,6,7]].
/// </param>
public sealed record PatchExpertOptions(
    int EmbedDim,
    int Heads,
    int DecoderDepth = 8,
    int? BottleneckHidden = null,
    double BottleneckDropout = 0.2,
    double MlpRatio = 4.0,
    double LayerNormEps = 1e-8,
    bool QkvBias = true,
    int[][]? DecoderGroups = null)
{
    /// <summary>The paper's configuration: D = 768, 12 heads, 8 blocks, groups [[0..3],[4..7]].</summary>
    public static PatchExpertOptions Paper { get; } = new(768, 12);

    /// <summary>The official parity fixture's configuration (<c>seed0/meta.json</c>): D = 64, 4 heads.</summary>
    public static PatchExpertOptions OfficialTinyFixture { get; } = new(64, 4);

    static readonly int[][] ReferenceGroups = [[0, 1, 2, 3], [4, 5, 6, 7]];

    /// <summary>The decoder groups in effect (the reference's two groups of four when not given).</summary>
    public int[][] Groups => DecoderGroups ?? ReferenceGroups;

    /// <summary>The bottleneck's hidden width in effect.</summary>
    public int BottleneckWidth => BottleneckHidden ?? 4 * EmbedDim;

    public int MlpHidden => (int)(EmbedDim * MlpRatio);

    public PatchExpertOptions Validate()
    {
        if (EmbedDim <= 0) throw new ArgumentOutOfRangeException(nameof(EmbedDim), EmbedDim, "EmbedDim must be positive.");
        if (Heads <= 0 || EmbedDim % Heads != 0)
            throw new ArgumentOutOfRangeException(nameof(Heads), Heads, $"Heads must be a positive divisor of EmbedDim ({EmbedDim}).");
        if (DecoderDepth <= 0) throw new ArgumentOutOfRangeException(nameof(DecoderDepth), DecoderDepth, "DecoderDepth must be positive.");
        if (BottleneckWidth <= 0) throw new ArgumentOutOfRangeException(nameof(BottleneckHidden), BottleneckHidden, "BottleneckHidden must be positive.");
        if (BottleneckDropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(BottleneckDropout), BottleneckDropout, "BottleneckDropout must be in [0, 1).");
        if (MlpHidden <= 0) throw new ArgumentOutOfRangeException(nameof(MlpRatio), MlpRatio, "MlpRatio must give a positive hidden width.");
        if (LayerNormEps <= 0) throw new ArgumentOutOfRangeException(nameof(LayerNormEps), LayerNormEps, "LayerNormEps must be positive.");
        if (Groups.Length == 0 || Groups.Any(g => g is null || g.Length == 0))
            throw new ArgumentException("DecoderGroups must hold at least one non-empty group.", nameof(DecoderGroups));
        foreach (var g in Groups)
        {
            foreach (var i in g)
            {
                if (i < 0 || i >= DecoderDepth)
                    throw new ArgumentOutOfRangeException(nameof(DecoderGroups), i, $"Decoder group index {i} is outside 0..{DecoderDepth - 1} (DecoderDepth {DecoderDepth}).");
            }
        }
        return this;
    }
}

/// <summary>
/// Patch expert (structural level). <c>forward(tokens [B,T,D])</c>, with <c>tokens</c> the mean of all tapped encoder
/// maps including the class and register tokens, returns every decoder block's output <c>[B,T,D]</c> in block order.
/// <see cref="ReconstructGroups"/> turns those into the per-group decoder maps <c>[B,D,gridH,gridW]</c> that are
/// compared with the encoder's group maps. State-dict keys: <c>bottleneck.0.fc{1,2}.*</c> and
/// <c>decoder.{0..depth-1}.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}.*</c>, as in the reference.
/// </summary>
public sealed class PatchExpert : Module<Tensor, Tensor[]>
{
    readonly ModuleList<TokenMlp> bottleneck;
    readonly ModuleList<LinearAttentionBlock> decoder;

    public PatchExpertOptions Options { get; }

    public PatchExpert(PatchExpertOptions options) : base(nameof(PatchExpert))
    {
        Options = options.Validate();
        bottleneck = new ModuleList<TokenMlp>(
            new TokenMlp(options.EmbedDim, options.BottleneckWidth, options.EmbedDim, options.BottleneckDropout, dropInput: true));
        decoder = new ModuleList<LinearAttentionBlock>(Enumerable.Range(0, options.DecoderDepth)
            .Select(_ => new LinearAttentionBlock(options.EmbedDim, options.Heads, options.MlpHidden, options.LayerNormEps, options.QkvBias))
            .ToArray());
        RegisterComponents();
    }

    /// <summary>Every decoder block's output, in block order (first block first).</summary>
    public override Tensor[] forward(Tensor tokens)
    {
        if (tokens.dim() != 3 || tokens.shape[2] != Options.EmbedDim)
            throw new ArgumentException($"PatchExpert expects tokens [B,T,{Options.EmbedDim}]; got [{string.Join(", ", tokens.shape)}].", nameof(tokens));
        using var scope = NewDisposeScope();
        var x = bottleneck[0].forward(tokens);
        var outputs = new Tensor[decoder.Count];
        for (int i = 0; i < decoder.Count; i++)
        {
            x = decoder[i].forward(x);
            outputs[i] = x;
        }
        foreach (var o in outputs) o.MoveToOuterDisposeScope();
        return outputs;
    }

    /// <summary>
    /// The decoder maps of each group <c>[B,D,gridH,gridW]</c>: block outputs reversed, averaged within each of
    /// <see cref="PatchExpertOptions.Groups"/> (or <paramref name="groups"/>, e.g. the test-time ones), prefix (class and
    /// register) tokens dropped, patches laid out row-major.
    /// </summary>
    public Tensor[] ReconstructGroups(Tensor tokens, int prefixTokens, long gridH, long gridW, int[][]? groups = null)
    {
        using var scope = NewDisposeScope();
        var blocks = forward(tokens);
        var reversed = blocks.Reverse().ToArray();
        var maps = (groups ?? Options.Groups)
            .Select(g => TokenMaps.ToGrid(TokenMaps.Mean(g.Select(i => reversed[i]).ToArray()), prefixTokens, gridH, gridW))
            .ToArray();
        foreach (var m in maps) m.MoveToOuterDisposeScope();
        return maps;
    }
}

/// <summary>Averaging token maps and laying patch tokens out on the grid, as the reference's <c>fuse_feature</c> and reshapes do.</summary>
public static class TokenMaps
{
    /// <summary>The element-wise mean of equally shaped maps (reference <c>fuse_feature</c>: stack, then mean).</summary>
    public static Tensor Mean(IReadOnlyList<Tensor> maps)
    {
        if (maps.Count == 0) throw new ArgumentException("At least one map is needed.", nameof(maps));
        using var stacked = stack(maps, dim: 1);
        return stacked.mean([1]);
    }

    /// <summary><c>[B, prefix + gridH·gridW, D]</c> → <c>[B, D, gridH, gridW]</c>, dropping the prefix tokens.</summary>
    public static Tensor ToGrid(Tensor tokens, int prefixTokens, long gridH, long gridW)
    {
        if (tokens.dim() != 3 || tokens.shape[1] != prefixTokens + gridH * gridW)
            throw new ArgumentException(
                $"Token map [{string.Join(", ", tokens.shape)}] does not hold {prefixTokens} prefix tokens + {gridH}×{gridW} patches.", nameof(tokens));
        using var scope = NewDisposeScope();
        var patches = tokens[.., prefixTokens..];
        return patches.permute(0, 2, 1).reshape(tokens.shape[0], tokens.shape[2], gridH, gridW).MoveToOuterDisposeScope();
    }
}
