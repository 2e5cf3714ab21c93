using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AnomalyMoE.Encoders.Dinov2;

// Field names are the state-dict key names of DINOv2's vision_transformer.py, so official
// checkpoints load without renaming: blocks.{i}.norm1 / attn.qkv / attn.proj / ls1.gamma / norm2 / mlp.fc1 / mlp.fc2 / ls2.gamma.
#pragma warning disable IDE1006 // snake_case names are the checkpoint's key names

/// <summary>One pre-norm transformer block with LayerScale: <c>x + ls1(attn(norm1(x)))</c>, then <c>x + ls2(mlp(norm2(x)))</c>.</summary>
public sealed class Dinov2Block : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm norm1;
    readonly Dinov2Attention attn;
    readonly LayerScale ls1;
    readonly LayerNorm norm2;
    readonly Dinov2Mlp mlp;
    readonly LayerScale ls2;

    public Dinov2Block(Dinov2Options options) : base(nameof(Dinov2Block))
    {
        norm1 = nn.LayerNorm(options.Width, eps: options.LayerNormEps);
        attn = new Dinov2Attention(options.Width, options.Heads);
        ls1 = new LayerScale(options.Width, options.LayerScaleInit);
        norm2 = nn.LayerNorm(options.Width, eps: options.LayerNormEps);
        mlp = new Dinov2Mlp(options.Width, options.MlpHidden);
        ls2 = new LayerScale(options.Width, options.LayerScaleInit);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var afterAttention = x + ls1.forward(attn.forward(norm1.forward(x)));
        var afterMlp = afterAttention + ls2.forward(mlp.forward(norm2.forward(afterAttention)));
        return afterMlp.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Multi-head self-attention with one fused qkv projection (keys <c>attn.qkv</c>, <c>attn.proj</c>).
/// The softmax(QKᵀ/√d)V product runs in libtorch's fused <c>scaled_dot_product_attention</c>; its default
/// scale 1/√head_dim equals DINOv2's <c>head_dim ** -0.5</c>.
/// </summary>
public sealed class Dinov2Attention : nn.Module<Tensor, Tensor>
{
    readonly Linear qkv;
    readonly Linear proj;
    readonly int heads;

    public Dinov2Attention(int width, int heads) : base(nameof(Dinov2Attention))
    {
        this.heads = heads;
        qkv = nn.Linear(width, 3 * width, hasBias: true);
        proj = nn.Linear(width, width, hasBias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1], c = x.shape[2];
        // [B, N, 3·C] → [3, B, heads, N, head_dim], as DINOv2's Attention.forward splits it.
        var parts = qkv.forward(x).reshape(b, n, 3, heads, c / heads).permute(2, 0, 3, 1, 4);
        var attended = nn.functional.scaled_dot_product_attention(parts[0], parts[1], parts[2]);
        var merged = attended.transpose(1, 2).reshape(b, n, c);
        return proj.forward(merged).MoveToOuterDisposeScope();
    }
}

/// <summary>Two-layer MLP with exact (erf) GELU (keys <c>mlp.fc1</c>, <c>mlp.fc2</c>).</summary>
public sealed class Dinov2Mlp : nn.Module<Tensor, Tensor>
{
    readonly Linear fc1;
    readonly Linear fc2;

    public Dinov2Mlp(int width, int hidden) : base(nameof(Dinov2Mlp))
    {
        fc1 = nn.Linear(width, hidden, hasBias: true);
        fc2 = nn.Linear(hidden, width, hasBias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var hidden = fc1.forward(x);
        using var activated = nn.functional.gelu(hidden);
        return fc2.forward(activated);
    }
}

/// <summary>Per-channel residual-branch scale (CaiT's LayerScale; key <c>ls{1,2}.gamma</c>).</summary>
public sealed class LayerScale : nn.Module<Tensor, Tensor>
{
    readonly Parameter gamma;

    public LayerScale(int width, double initValue) : base(nameof(LayerScale))
    {
        gamma = new Parameter(torch.full(width, initValue, dtype: ScalarType.Float32));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => x * gamma;
}
#pragma warning restore IDE1006
