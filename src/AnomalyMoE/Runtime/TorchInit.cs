using static TorchSharp.torch;

namespace AnomalyMoE.Runtime;

/// <summary>Weight initialisers that TorchSharp lacks or gets wrong.</summary>
public static class TorchInit
{
    /// <summary>
    /// Fills <paramref name="tensor"/> in place from a normal(<paramref name="mean"/>, <paramref name="std"/>) truncated to
    /// [<paramref name="lower"/>, <paramref name="upper"/>], by PyTorch's own algorithm (inverse CDF of a uniform draw between
    /// the bounds' CDF values, then clamp), so the same seed gives PyTorch's values.
    /// TorchSharp 0.107's <c>nn.init.trunc_normal_</c> is not used: it fills the tensor with a constant (the std), which would
    /// make every hidden unit of a layer, and every expert of a level, identical.
    /// </summary>
    public static Tensor TruncatedNormal(Tensor tensor, double mean, double std, double lower, double upper, Generator? generator = null)
    {
        if (!(std > 0)) throw new ArgumentOutOfRangeException(nameof(std), std, "The standard deviation must be positive.");
        if (!(lower < upper)) throw new ArgumentException($"The lower bound {lower} must be below the upper bound {upper}.");
        static double NormalCdf(double x) => (1 + Erf(x / Math.Sqrt(2))) / 2;
        double l = NormalCdf((lower - mean) / std), u = NormalCdf((upper - mean) / std);
        using var noGrad = no_grad();
        tensor.uniform_(2 * l - 1, 2 * u - 1, generator);
        tensor.erfinv_();
        tensor.mul_(std * Math.Sqrt(2));
        tensor.add_(mean);
        tensor.clamp_(lower, upper);
        return tensor;
    }

    /// <summary>The error function to double precision: Maclaurin series below 3, the erfc continued fraction above.</summary>
    internal static double Erf(double x)
    {
        if (x < 0) return -Erf(-x);
        if (x < 3)
        {
            // Maclaurin series: erf x = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)).
            double sum = x, term = x, x2 = x * x;
            for (int n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                var add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
        // Continued fraction for erfc at large x.
        double f = 0;
        for (int k = 60; k >= 1; k--) f = k / 2.0 / (x + f);
        return 1 - Math.Exp(-x * x) / Math.Sqrt(Math.PI) / (x + f);
    }
}
