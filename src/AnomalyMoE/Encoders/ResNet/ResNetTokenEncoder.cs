using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AnomalyMoE.Encoders.ResNet;

/// <summary>
/// Turns a frozen ResNet into AnomalyMoE token maps. With <c>L = min(blocks of stage 2, blocks of stage 3)</c>
/// (1-based stage numbers; 2 for the CNTK ResNet18, 4 for ResNet-50), layer ℓ concatenates the output of
/// stage-2 block <c>n₂−L+ℓ</c>, average-pooled to the stage-3 grid (2×2 when the sizes divide), with the output
/// of stage-3 block <c>n₃−L+ℓ</c>: the mid-level pair PatchCore-style methods use, at stride 16
/// (14×14 tokens at 224 px). Width = stage-2 + stage-3 channels (128 + 256 = 384 for ResNet18).
/// Every map is <c>[B, 1 + H·W, D]</c>: one prefix token, the spatial mean of that layer's patch tokens
/// (a CNN has no class token; consumers that drop <see cref="EncoderInfo.PrefixTokens"/> work unchanged),
/// then the patch tokens row-major. <see cref="EncoderOutput.GlobalToken"/> is the last layer's prefix token.
/// Frozen: eval mode, no gradients, no autograd graph.
/// </summary>
public sealed class ResNetTokenEncoder : IFeatureEncoder
{
    const int MidStage = 1, DeepStage = 2;   // 0-based: conv3_x and conv4_x

    readonly IResNetBackbone backbone;
    readonly int midOffset, deepOffset;

    public ResNetTokenEncoder(IResNetBackbone backbone)
    {
        this.backbone = backbone;
        if (backbone.BlocksPerStage.Count <= DeepStage)
            throw new ArgumentException($"backbone '{backbone.Name}' has {backbone.BlocksPerStage.Count} stages; at least 3 are needed");
        int layers = Math.Min(backbone.BlocksPerStage[MidStage], backbone.BlocksPerStage[DeepStage]);
        midOffset = backbone.BlocksPerStage[MidStage] - layers;
        deepOffset = backbone.BlocksPerStage[DeepStage] - layers;
        int width = (int)(backbone.StageChannels[MidStage] + backbone.StageChannels[DeepStage]);
        Info = new EncoderInfo(backbone.Name, width, PatchSize: 16, LayerCount: layers, PrefixTokens: 1, ImageNormalization.ImageNet);
    }

    /// <summary>The offline ImageNet ResNet18 from the package's ONNX files: <c>resnet18_onnx</c>, 2 layers of width 384.</summary>
    public static ResNetTokenEncoder LoadResNet18Onnx(string? modelPath = null, string? preprocessPath = null) =>
        new(CntkResNet18Backbone.Load(modelPath, preprocessPath));

    public EncoderInfo Info { get; }

    public IResNetBackbone Backbone => backbone;

    public EncoderOutput Encode(Tensor images, IReadOnlyList<int> layers)
    {
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException($"images must be [B, 3, H, W], got [{string.Join(", ", images.shape)}]", nameof(images));
        foreach (var l in layers)
        {
            if (l < 0 || l >= Info.LayerCount)
                throw new ArgumentOutOfRangeException(nameof(layers), l, $"encoder '{Info.Name}' has layers 0..{Info.LayerCount - 1}");
        }
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var stages = backbone.ForwardStages(images, DeepStage);
        var maps = new Dictionary<int, Tensor>();
        Tensor Map(int layer)
        {
            if (!maps.TryGetValue(layer, out var map)) maps[layer] = map = LayerTokens(stages, layer);
            return map;
        }
        var result = layers.Select(l => Map(l).alias()).ToList();
        var global = Map(Info.LayerCount - 1)[.., 0].clone();
        var deep = stages.Stages[DeepStage][0];
        int gridH = (int)deep.shape[2], gridW = (int)deep.shape[3];
        foreach (var t in result) t.MoveToOuterDisposeScope();
        global.MoveToOuterDisposeScope();
        return new EncoderOutput(result, global, gridH, gridW);
    }

    Tensor LayerTokens(ResNetStageOutputs stages, int layer)
    {
        var deep = stages.Stages[DeepStage][deepOffset + layer];
        var mid = stages.Stages[MidStage][midOffset + layer];
        var midPooled = F.adaptive_avg_pool2d(mid, [deep.shape[2], deep.shape[3]]);
        var patches = cat([midPooled, deep], 1).flatten(2).transpose(1, 2);   // [B, H·W, D]
        var prefix = patches.mean([1], keepdim: true);
        return cat([prefix, patches], 1);
    }

    public void MoveTo(Device device) => backbone.MoveTo(device);

    public void ConvertWeights(ScalarType dtype) => backbone.ConvertWeights(dtype);

    public void Dispose() => backbone.Dispose();
}
