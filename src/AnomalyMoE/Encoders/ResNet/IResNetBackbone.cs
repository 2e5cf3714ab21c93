using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Encoders.ResNet;

/// <summary>
/// A frozen ResNet that takes ImageNet mean/std normalised RGB (<see cref="ImageNormalization.ImageNet"/>)
/// and exposes every residual block's output per stage; what <see cref="ResNetTokenEncoder"/> builds tokens from.
/// </summary>
public interface IResNetBackbone : IDisposable
{
    /// <summary>Registry name, e.g. <c>resnet18_onnx</c> or <c>wide_resnet50_2</c>.</summary>
    string Name { get; }

    IReadOnlyList<int> BlocksPerStage { get; }

    /// <summary>Output channels of each stage.</summary>
    IReadOnlyList<long> StageChannels { get; }

    /// <summary>Every block output of stages 0..<paramref name="lastStage"/> for ImageNet-normalised RGB input.</summary>
    ResNetStageOutputs ForwardStages(Tensor normalizedRgb, int lastStage);

    void MoveTo(Device device);

    /// <summary>Converts the weights and buffers to a floating type; <see cref="ForwardStages"/> then takes and returns that type.</summary>
    void ConvertWeights(ScalarType dtype);
}

/// <summary>
/// The offline ImageNet ResNet18 (<see cref="ResNet18Network"/>) with its CNTK preprocessing in front,
/// so it reads the same ImageNet-normalised RGB batches as every other encoder.
/// </summary>
public sealed class CntkResNet18Backbone(ResNet18Network network, CntkResNetPreprocessing preprocessing) : IResNetBackbone
{
    public const string RegistryName = "resnet18_onnx";

    public ResNet18Network Network { get; } = network;
    public CntkResNetPreprocessing Preprocessing { get; } = preprocessing;

    /// <summary>Loads the network and its preprocessing from the package's ONNX files (see <see cref="ResNet18OnnxFiles"/>).</summary>
    public static CntkResNet18Backbone Load(string? modelPath = null, string? preprocessPath = null)
    {
        var preprocessing = CntkResNetPreprocessing.FromOnnx(ResNet18OnnxFiles.ResolvePreprocess(preprocessPath));
        try
        {
            return new CntkResNet18Backbone(ResNet18Network.FromOnnx(ResNet18OnnxFiles.ResolveModel(modelPath)), preprocessing);
        }
        catch
        {
            preprocessing.Dispose();
            throw;
        }
    }

    public string Name => RegistryName;
    public IReadOnlyList<int> BlocksPerStage => Network.BlocksPerStage;
    public IReadOnlyList<long> StageChannels => Network.StageChannels;

    public ResNetStageOutputs ForwardStages(Tensor normalizedRgb, int lastStage)
    {
        using var input = Preprocessing.FromImageNetNormalized(normalizedRgb);
        return Network.ForwardStages(input, lastStage);
    }

    /// <summary>Pooled 512-d ImageNet features <c>[B, 512]</c> of ImageNet-normalised RGB.</summary>
    public Tensor PooledFeatures(Tensor normalizedRgb)
    {
        using var input = Preprocessing.FromImageNetNormalized(normalizedRgb);
        return Network.forward(input);
    }

    public void MoveTo(Device device)
    {
        Network.to(device);
        Preprocessing.MoveTo(device);
    }

    /// <summary>Converts the network; the preprocessing follows its input's type by itself.</summary>
    public void ConvertWeights(ScalarType dtype) => Network.to(dtype);

    public void Dispose()
    {
        Network.Dispose();
        Preprocessing.Dispose();
    }
}
