using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Objectives;

/// <summary>
/// A point in the graph whose backward gradient can be rescaled after the forward pass: the equivalent of the
/// reference's <c>tensor.register_hook</c>, which TorchSharp does not offer. <see cref="Attach"/> returns an identity
/// view of a tensor; every later use of that view sends its gradient through the gate, and <see cref="SetScale"/>
/// (called any time before <c>backward</c>) multiplies that whole gradient element-wise. Without a scale the gate is
/// a plain identity.
/// </summary>
public sealed class GradientGate : IDisposable
{
    Tensor? scale;

    /// <summary>The scale in effect (null: gradients pass unchanged).</summary>
    public Tensor? Scale => scale;

    /// <summary>The gated identity of <paramref name="input"/>; use it in place of the input from now on.</summary>
    public Tensor Attach(Tensor input) => input.requires_grad ? GateFunction.apply(input, this) : input.alias();

    /// <summary>Sets the element-wise gradient multiplier (broadcastable to the gated tensor); the gate keeps its own reference.</summary>
    public void SetScale(Tensor multiplier)
    {
        scale?.Dispose();
        scale = multiplier.detach().DetachFromDisposeScope();
    }

    public void Dispose()
    {
        scale?.Dispose();
        scale = null;
    }

    sealed class GateFunction : autograd.SingleTensorFunction<GateFunction>
    {
        public override string Name => nameof(GradientGate);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            ctx.save_data("gate", vars[1]);
            return ((Tensor)vars[0]).alias();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var gate = (GradientGate)ctx.get_data("gate");
            var grad = gate.scale is { } s ? gradOutput * s : gradOutput.alias();
            // One gradient per forward argument; the gate object itself has none.
            return [grad, null!];
        }
    }
}
