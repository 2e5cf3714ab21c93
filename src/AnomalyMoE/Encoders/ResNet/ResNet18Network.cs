using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AnomalyMoE.Encoders.ResNet;

/// <summary>
/// A convolution with batch norm folded in, padded like CNTK: ONNX pads <c>[top, left, bottom, right]</c>
/// may be asymmetric (the CNTK export pads 3/2 in the stem and 1/0 in stride-2 convolutions), which
/// <c>conv2d</c>'s padding cannot express, so an explicit zero <c>F.pad</c> runs first in that case.
/// Weights are created from the converted values directly (no throw-away random initialisation).
/// </summary>
internal sealed class FoldedConv : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly Parameter bias;
    readonly long[] stride;
    readonly long[] padding;
    readonly long[]? explicitPad;

    public FoldedConv(string name, ConvBnSpec spec) : base(name)
    {
        weight = new Parameter(tensor(spec.Weight, spec.WeightShape), requires_grad: false);
        bias = new Parameter(tensor(spec.Bias), requires_grad: false);
        stride = [spec.Stride, spec.Stride];
        var p = spec.Pads;
        bool symmetric = p[0] == p[2] && p[1] == p[3];
        padding = symmetric ? [p[0], p[1]] : [0, 0];
        // F.pad order for the last two dims: (left, right, top, bottom).
        explicitPad = symmetric ? null : [p[1], p[3], p[0], p[2]];
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (explicitPad is null) return F.conv2d(x, weight, bias, stride, padding);
        using var padded = F.pad(x, explicitPad);
        return F.conv2d(padded, weight, bias, stride, padding);
    }
}

/// <summary>The basic residual block of the CNTK ResNet18: two 3×3 convolutions, identity or 1×1 projection shortcut.</summary>
internal sealed class BasicResidualBlock : nn.Module<Tensor, Tensor>
{
    readonly FoldedConv conv_a;
    readonly FoldedConv conv_b;
    readonly FoldedConv? shortcut;

    public BasicResidualBlock(string name, ResidualBlockSpec spec) : base(name)
    {
        conv_a = new FoldedConv("conv_a", spec.ConvA);
        conv_b = new FoldedConv("conv_b", spec.ConvB);
        shortcut = spec.Shortcut is null ? null : new FoldedConv("shortcut", spec.Shortcut);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var a = conv_a.forward(x);
        a.relu_();
        var b = conv_b.forward(a);
        if (shortcut is null)
        {
            b.add_(x);
        }
        else
        {
            using var s = shortcut.forward(x);
            b.add_(s);
        }
        return b.relu_();
    }
}

/// <summary>
/// The ImageNet-pretrained ResNet18 that ships as ONNX in <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>
/// (exported from CNTK), rebuilt in TorchSharp from the graph. Its topology differs from torchvision's:
/// 22 convolutions, stages of 2, 2, 2 and 3 basic blocks with 64, 128, 256 and 512 channels, 1×1 stride-2
/// projection shortcuts with batch norm, CNTK's asymmetric padding, a 7×7 average-pool head giving 512 features.
/// Batch norm is folded into the convolutions (eval-mode arithmetic).
/// Input: the output of <see cref="CntkResNetPreprocessing"/> (BGR, 0–255, mean image subtracted).
/// </summary>
public sealed class ResNet18Network : nn.Module<Tensor, Tensor>
{
    readonly FoldedConv stem;
    readonly ModuleList<ModuleList<BasicResidualBlock>> stages;
    readonly long[] poolKernel, poolStride, poolPad;

    public IReadOnlyList<int> BlocksPerStage { get; }
    public IReadOnlyList<long> StageChannels { get; }

    public ResNet18Network(ResNetTopology topology) : base(nameof(ResNet18Network))
    {
        stem = new FoldedConv("stem", topology.Stem);
        stages = new ModuleList<ModuleList<BasicResidualBlock>>();
        foreach (var stage in topology.Stages)
        {
            var blocks = new ModuleList<BasicResidualBlock>();
            for (int i = 0; i < stage.Count; i++) blocks.Add(new BasicResidualBlock($"block{i}", stage[i]));
            stages.Add(blocks);
        }
        var p = topology.StemPool;
        poolKernel = [p.Kernel, p.Kernel];
        poolStride = [p.Stride, p.Stride];
        poolPad = [p.Pads[1], p.Pads[3], p.Pads[0], p.Pads[2]];
        BlocksPerStage = topology.BlocksPerStage;
        StageChannels = topology.StageChannels;
        RegisterComponents();
        eval();
        foreach (var parameter in parameters()) parameter.requires_grad = false;
    }

    /// <summary>Reads and converts an ONNX file (see <see cref="ResNet18OnnxFiles"/> for where it is found).</summary>
    public static ResNet18Network FromOnnx(string path)
    {
        Runtime.TorchRuntime.EnsureLoaded();
        return new ResNet18Network(ResNetTopology.FromOnnx(OnnxModel.Load(path)));
    }

    /// <summary>Pooled 512-d features <c>[B, 512]</c>: the ONNX head (7×7 average pool) at 224 px; the mean over the final grid at other sizes.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = Stem(input);
        foreach (var stage in stages)
            foreach (var block in stage) x = block.forward(x);
        return x.mean([-2, -1]).MoveToOuterDisposeScope();
    }

    /// <summary>Runs the network up to (and including) stage <paramref name="lastStage"/>, keeping every block's output.</summary>
    public ResNetStageOutputs ForwardStages(Tensor input, int lastStage)
    {
        if (lastStage < 0 || lastStage >= stages.Count)
            throw new ArgumentOutOfRangeException(nameof(lastStage), lastStage, $"the network has stages 0..{stages.Count - 1}");
        using var scope = NewDisposeScope();
        var x = Stem(input);
        var result = new List<IReadOnlyList<Tensor>>();
        for (int s = 0; s <= lastStage; s++)
        {
            var outputs = new List<Tensor>();
            foreach (var block in stages[s])
            {
                x = block.forward(x);
                outputs.Add(x);
            }
            result.Add(outputs);
        }
        foreach (var stage in result) foreach (var t in stage) t.MoveToOuterDisposeScope();
        return new ResNetStageOutputs(result);
    }

    Tensor Stem(Tensor input)
    {
        var x = stem.forward(input).relu_();
        // Padding with -inf keeps padded cells out of the max, as ONNX MaxPool does.
        var padded = F.pad(x, poolPad, value: double.NegativeInfinity);
        return F.max_pool2d(padded, poolKernel, poolStride);
    }
}
