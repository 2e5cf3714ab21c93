using TorchSharp.Modules;
using AnomalyMoE.Runtime;
using static TorchSharp.torch;

namespace AnomalyMoE.Training;

/// <summary>
/// The reference's initialisation of every trainable module (experts and router): Linear weights from a
/// truncated normal (std 0.01, bounds ±0.03), biases 0; LayerNorm weight 1, bias 0. Convolutions keep
/// PyTorch's default initialisation, as in the reference.
/// </summary>
public static class ParameterInitialization
{
    public static void ApplyReference(nn.Module module, double std = 0.01, double bound = 0.03)
    {
        using var noGrad = no_grad();
        foreach (var (_, m) in module.named_modules())
        {
            switch (m)
            {
                case Linear linear:
                    TorchInit.TruncatedNormal(linear.weight, mean: 0, std: std, lower: -bound, upper: bound);
                    if (linear.bias is { } bias) nn.init.constant_(bias, 0);
                    break;
                case LayerNorm norm:
                    if (norm.weight is { } w) nn.init.constant_(w, 1.0);
                    if (norm.bias is { } b) nn.init.constant_(b, 0);
                    break;
            }
        }
    }
}
