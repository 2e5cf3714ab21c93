using AnomalyMoE.Parity;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Support;

/// <summary>
/// The official seed0 parity fixture's <c>expected.pth</c> and <c>model.pth</c>, loaded once per test run and shared
/// read-only by every parity test.
/// </summary>
public static class Seed0Tensors
{
    static readonly Lazy<Dictionary<string, Tensor>> ExpectedLazy = new(() => LoadShared("expected.pth"));
    static readonly Lazy<Dictionary<string, Tensor>> ModelLazy = new(() => LoadShared("model.pth"));

    // Loaded once and never disposed: detach from whatever dispose scope the first caller happens to be in.
    static Dictionary<string, Tensor> LoadShared(string file)
    {
        var tensors = TorchFile.LoadTensors(Path.Combine(SharedFixtures.Seed0, file));
        foreach (var t in tensors.Values) t.DetachFromDisposeScope();
        return tensors;
    }

    public static IReadOnlyDictionary<string, Tensor> Expected => ExpectedLazy.Value;
    public static IReadOnlyDictionary<string, Tensor> Model => ModelLazy.Value;

    /// <summary>The model tensors under <paramref name="prefix"/> (e.g. <c>global_experts.0.</c>), with the prefix removed.</summary>
    public static Dictionary<string, Tensor> ModelSubtree(string prefix) =>
        Model.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
             .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    /// <summary>The expected tensors under <paramref name="prefix"/>, with the prefix removed.</summary>
    public static Dictionary<string, Tensor> ExpectedSubtree(string prefix) =>
        Expected.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    public static double MaxAbsError(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var d = (actual.to_type(ScalarType.Float64) - expected.to_type(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }

    public static double RelativeError(Tensor actual, Tensor expected)
    {
        using var num = (actual.to_type(ScalarType.Float64) - expected.to_type(ScalarType.Float64)).abs().max();
        using var den = expected.to_type(ScalarType.Float64).abs().max();
        return num.item<double>() / Math.Max(den.item<double>(), 1e-12);
    }
}
