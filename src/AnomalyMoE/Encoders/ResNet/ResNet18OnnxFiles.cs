namespace AnomalyMoE.Encoders.ResNet;

/// <summary>
/// Finds the ONNX files of <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.23.1. The build copies them
/// next to the program (<c>DnnImageModels/…</c> in the output folder, for every project that references
/// the library); otherwise the NuGet package cache (<c>NUGET_PACKAGES</c>, default <c>~/.nuget/packages</c>) is used.
/// </summary>
public static class ResNet18OnnxFiles
{
    public const string PackageId = "microsoft.ml.dnnimagefeaturizer.resnet18";
    public const string PackageVersion = "0.23.1";
    public const string ModelRelativePath = "DnnImageModels/ResNet18Onnx/ResNet18.onnx";
    public const string PreprocessRelativePath = "DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx";

    /// <summary>The ResNet18 ONNX file; <paramref name="explicitPath"/> wins when given.</summary>
    public static string ResolveModel(string? explicitPath = null) => Resolve(ModelRelativePath, explicitPath);

    /// <summary>The preprocessing ONNX file (BGR reorder and mean image); <paramref name="explicitPath"/> wins when given.</summary>
    public static string ResolvePreprocess(string? explicitPath = null) => Resolve(PreprocessRelativePath, explicitPath);

    /// <summary>Where a file is looked for, in order.</summary>
    public static IReadOnlyList<string> Candidates(string relativePath)
    {
        var list = new List<string> { Path.Combine(AppContext.BaseDirectory, relativePath) };
        var nugetRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(nugetRoot))
            nugetRoot = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        list.Add(Path.Combine(nugetRoot, PackageId, PackageVersion, "tools", relativePath));
        return list;
    }

    static string Resolve(string relativePath, string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            if (File.Exists(explicitPath)) return explicitPath;
            throw new FileNotFoundException($"ResNet18 ONNX file not found: {explicitPath}", explicitPath);
        }
        var candidates = Candidates(relativePath);
        foreach (var c in candidates) if (File.Exists(c)) return c;
        throw new FileNotFoundException(
            $"The pretrained ResNet18 ONNX file '{relativePath}' was not found. Looked in: {string.Join("; ", candidates)}. "
            + $"It comes from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 {PackageVersion}, which `dotnet restore` of the AnomalyMoE project downloads."
            + (Runtime.BuildFlavor.ResNet18OnnxBundled ? ""
                : $" This build leaves it out (-p:BundleResNet18Onnx=false, as the portable archive does): copy it to {candidates[0]}, "
                  + "rebuild without that switch, or use a DINOv2 preset with --encoder-weights (verify-parity and bench gpu need no ONNX file)."),
            candidates[0]);
    }
}
