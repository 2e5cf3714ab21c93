using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Experts.Layers;

/// <summary>
/// Multi-head linear attention (Dinomaly's <c>LinearAttention2</c>, used by the AnomalyMoE decoder): q and k pass
/// through elu(x) + 1, each head aggregates kv = kᵀv over all tokens, and a token's output is (q·kv) / (q·Σk).
/// It cannot focus on single tokens, which keeps the decoder from learning an identity mapping.
/// Submodules <c>qkv</c> and <c>proj</c> carry the reference's key names.
/// </summary>
public sealed class LinearAttention : Module<Tensor, Tensor>
{
    readonly Linear qkv;
    readonly Linear proj;
    readonly int heads;

    public LinearAttention(int width, int heads, bool qkvBias = true) : base(nameof(LinearAttention))
    {
        if (heads <= 0 || width % heads != 0)
            throw new ArgumentException($"Attention width {width} must be a positive multiple of the head count {heads}.", nameof(heads));
        this.heads = heads;
        qkv = Linear(width, width * 3, hasBias: qkvBias);
        proj = Linear(width, width);
        RegisterComponents();
    }

    /// <summary><c>[B, N, C]</c> → <c>[B, N, C]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], tokens = x.shape[1], width = x.shape[2];
        var parts = qkv.forward(x).reshape(batch, tokens, 3, heads, width / heads).permute(2, 0, 3, 1, 4);
        var q = functional.elu(parts[0], alpha: 1.0) + 1.0;          // [B, H, N, d]
        var k = functional.elu(parts[1], alpha: 1.0) + 1.0;
        var v = parts[2];
        var kv = matmul(k.transpose(-2, -1), v);        // [B, H, d, d]
        var normaliser = matmul(q, k.sum(-2).unsqueeze(-1)); // [B, H, N, 1]
        var attended = matmul(q, kv) / normaliser;       // [B, H, N, d]
        var merged = attended.transpose(1, 2).reshape(batch, tokens, width);
        return proj.forward(merged).MoveToOuterDisposeScope();
    }
}
