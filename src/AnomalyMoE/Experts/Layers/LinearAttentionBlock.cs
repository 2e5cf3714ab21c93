using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Experts.Layers;

/// <summary>
/// Pre-norm transformer block of the patch expert's decoder (the reference's ViT <c>Block</c> with
/// <c>attn=LinearAttention2</c>): x + attn(norm1(x)), then x + mlp(norm2(x)). No LayerScale, no drop-path.
/// Submodules <c>norm1</c>, <c>attn</c>, <c>norm2</c>, <c>mlp</c> carry the reference's key names.
/// </summary>
public sealed class LinearAttentionBlock : Module<Tensor, Tensor>
{
    readonly LayerNorm norm1;
    readonly LinearAttention attn;
    readonly LayerNorm norm2;
    readonly TokenMlp mlp;

    public LinearAttentionBlock(int width, int heads, int mlpHidden, double layerNormEps, bool qkvBias = true) : base(nameof(LinearAttentionBlock))
    {
        norm1 = LayerNorm(width, eps: layerNormEps);
        attn = new LinearAttention(width, heads, qkvBias);
        norm2 = LayerNorm(width, eps: layerNormEps);
        mlp = new TokenMlp(width, mlpHidden, width, dropout: 0.0, dropInput: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x + attn.forward(norm1.forward(x));
        return (h + mlp.forward(norm2.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Two-layer token MLP <c>fc1 → GELU → fc2</c> with one dropout rate applied after the activation and after the output,
/// and optionally on the input too: the reference's <c>bMlp</c> (the patch expert's noisy bottleneck, dropout 0.2 on
/// its input) when <c>dropInput</c> is true, its plain <c>Mlp</c> otherwise. Keys <c>fc1.*</c>, <c>fc2.*</c>.
/// </summary>
public sealed class TokenMlp : Module<Tensor, Tensor>
{
    readonly Linear fc1;
    readonly GELU act;
    readonly Linear fc2;
    readonly Dropout drop;
    readonly bool dropInput;

    public TokenMlp(int inWidth, int hidden, int outWidth, double dropout, bool dropInput) : base(nameof(TokenMlp))
    {
        if (dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "Dropout must be in [0, 1).");
        fc1 = Linear(inWidth, hidden);
        act = GELU();
        fc2 = Linear(hidden, outWidth);
        drop = Dropout(dropout);
        this.dropInput = dropInput;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = dropInput ? drop.forward(x) : x;
        h = drop.forward(act.forward(fc1.forward(h)));
        return drop.forward(fc2.forward(h)).MoveToOuterDisposeScope();
    }
}
