using System.Reflection;

namespace AnomalyMoE.Runtime;

/// <summary>The build switches this library was compiled with (<c>-p:TorchBackend</c>, <c>-p:BundleResNet18Onnx</c>).</summary>
public static class BuildFlavor
{
    static readonly IReadOnlyDictionary<string, string?> Metadata = typeof(BuildFlavor).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .GroupBy(a => a.Key, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>external</c>.</summary>
    public static string TorchBackend => Metadata.TryGetValue("TorchBackend", out var v) && !string.IsNullOrEmpty(v) ? v : "cpu";

    /// <summary>Whether the torch binaries come from outside the build (<c>-p:TorchBackend=external</c>).</summary>
    public static bool ExternalTorch => TorchBackend == "external";

    /// <summary>False when the build left the ResNet18 ONNX file out (<c>-p:BundleResNet18Onnx=false</c>).</summary>
    public static bool ResNet18OnnxBundled => !(Metadata.TryGetValue("BundleResNet18Onnx", out var v) && string.Equals(v, "false", StringComparison.OrdinalIgnoreCase));
}
