using AnomalyMoE.Synthetic;

namespace AnomalyMoE.Interactive.Studies;

/// <summary>
/// What a notebook study trains and evaluates: one category of a real MVTec-layout dataset (<see cref="DataRoot"/>) or,
/// without one, of the synthetic family of the notebook's domain; a small AnomalyMoE on the frozen ImageNet ResNet18
/// (ONNX) encoder; a few training iterations. Sizes are small so a notebook runs on a laptop CPU.
/// </summary>
/// <param name="Family">Synthetic family used when no real data is given (industrial, logical, 3d, medical, video).</param>
/// <param name="DataRoot">A prepared MVTec-layout dataset root (one folder per category); null = synthetic.</param>
/// <param name="Category">Category to study; null = the first one.</param>
/// <param name="ImageSize">Side of the square model input (multiple of 16: the ResNet grid is Size/16).</param>
/// <param name="TrainImages">Normal training images (synthetic: generated; real: the first ones).</param>
/// <param name="TestImages">Test images (synthetic: generated, at least 40 % normal; real: an even spread over the test split).</param>
/// <param name="Iterations">Training iterations.</param>
/// <param name="BatchSize">Images per training batch.</param>
/// <param name="LearningRate">Peak learning rate of the warm-cosine schedule.</param>
/// <param name="PatchExperts">Patch (structural) experts.</param>
/// <param name="GlobalExperts">Global (logical) experts.</param>
/// <param name="ComponentExperts">Component experts.</param>
/// <param name="TopK">Experts each image selects.</param>
/// <param name="UseEir">Train with Expert Information Repulsion.</param>
/// <param name="UseEsb">Train with Expert Selection Balancing.</param>
/// <param name="DecoderDepth">Linear-attention blocks of each patch expert (the paper uses 8).</param>
/// <param name="Seed">Seeds the synthetic data, the initialisation and the batch order.</param>
/// <param name="WorkDirectory">Where data, the loss log and caches go; null = a folder under the system temp folder.</param>
public sealed record StudyOptions(
    string Family = SyntheticFamilies.Industrial,
    string? DataRoot = null,
    string? Category = null,
    int ImageSize = 160,
    int TrainImages = 16,
    int TestImages = 20,
    int Iterations = 30,
    int BatchSize = 4,
    double LearningRate = 1e-3,
    int PatchExperts = 2,
    int GlobalExperts = 2,
    int ComponentExperts = 2,
    int TopK = 3,
    bool UseEir = true,
    bool UseEsb = true,
    int DecoderDepth = 2,
    int Seed = 0,
    string? WorkDirectory = null)
{
    /// <summary>The notebooks' setting on a 2-core CPU (a few minutes per notebook).</summary>
    public static StudyOptions CpuTiny { get; } = new();

    /// <summary>The headless-test setting (<c>ANOMALYMOE_NOTEBOOK_FAST=1</c>): fewer, smaller images and iterations.</summary>
    public static StudyOptions Fast { get; } = new(ImageSize: 128, TrainImages: 6, TestImages: 12, Iterations: 10, BatchSize: 2, LearningRate: 2e-3,
        PatchExperts: 1, GlobalExperts: 1, ComponentExperts: 1, TopK: 3);

    /// <summary><see cref="Fast"/> when <c>ANOMALYMOE_NOTEBOOK_FAST</c> is 1 or true, else <see cref="CpuTiny"/>.</summary>
    public static StudyOptions FromEnvironment()
    {
        var fast = Environment.GetEnvironmentVariable("ANOMALYMOE_NOTEBOOK_FAST");
        return fast is "1" || string.Equals(fast, "true", StringComparison.OrdinalIgnoreCase) ? Fast : CpuTiny;
    }

    /// <summary>The real dataset root from <c>ANOMALYMOE_DATA</c> joined with <paramref name="datasetFolder"/> when that folder exists; else null.</summary>
    public static string? DataRootFromEnvironment(string datasetFolder)
    {
        var root = Environment.GetEnvironmentVariable("ANOMALYMOE_DATA");
        if (string.IsNullOrWhiteSpace(root)) return null;
        var path = Path.Combine(root, datasetFolder);
        return Directory.Exists(path) ? path : null;
    }

    public StudyOptions Validate()
    {
        if (DataRoot is null && !SyntheticFamilies.Names.Contains(Family))
            throw new ArgumentException($"Family '{Family}' is unknown; choose one of {string.Join(", ", SyntheticFamilies.Names)}.");
        if (DataRoot is not null && !Directory.Exists(DataRoot)) throw new DirectoryNotFoundException($"DataRoot '{DataRoot}' does not exist.");
        if (ImageSize < 64 || ImageSize % 16 != 0) throw new ArgumentOutOfRangeException(nameof(ImageSize), ImageSize, "ImageSize must be a multiple of 16, at least 64.");
        if (TrainImages < 2) throw new ArgumentOutOfRangeException(nameof(TrainImages), TrainImages, "TrainImages must be at least 2.");
        if (TestImages < 6) throw new ArgumentOutOfRangeException(nameof(TestImages), TestImages, "TestImages must be at least 6 (both classes are needed).");
        if (Iterations < 0) throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "Iterations must not be negative.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be positive.");
        if (PatchExperts < 0 || GlobalExperts < 0 || ComponentExperts < 0 || PatchExperts + GlobalExperts + ComponentExperts == 0)
            throw new ArgumentException($"Expert counts {PatchExperts}/{GlobalExperts}/{ComponentExperts}: none negative, at least one level on.");
        if (DecoderDepth < 1) throw new ArgumentOutOfRangeException(nameof(DecoderDepth), DecoderDepth, "DecoderDepth must be at least 1.");
        return this;
    }
}
