using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AnomalyMoE.Encoders.ResNet;

/// <summary>The torchvision ResNet variants whose <c>.pth</c> state dicts can be loaded.</summary>
public enum TorchVisionResNetKind { ResNet18, ResNet50, WideResNet50_2 }

/// <summary>torchvision's <c>BasicBlock</c> (ResNet-18/34): field names match its state-dict keys.</summary>
internal sealed class TorchVisionBasicBlock : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv1, conv2;
    readonly BatchNorm2d bn1, bn2;
    readonly Sequential? downsample;

    public TorchVisionBasicBlock(long inPlanes, long planes, long stride) : base("BasicBlock")
    {
        conv1 = nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(planes);
        downsample = stride != 1 || inPlanes != planes ? TorchVisionResNet.Projection(inPlanes, planes, stride) : null;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = bn2.forward(conv2.forward(bn1.forward(conv1.forward(x)).relu_()));
        var identity = downsample is null ? x : downsample.forward(x);
        return y.add_(identity).relu_().MoveToOuterDisposeScope();
    }
}

/// <summary>torchvision's <c>Bottleneck</c> (ResNet-50, WideResNet-50-2; stride on the 3×3 convolution, "v1.5").</summary>
internal sealed class TorchVisionBottleneck : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv1, conv2, conv3;
    readonly BatchNorm2d bn1, bn2, bn3;
    readonly Sequential? downsample;

    public TorchVisionBottleneck(long inPlanes, long planes, long stride, long widthFactor) : base("Bottleneck")
    {
        long width = planes * widthFactor, outPlanes = planes * 4;
        conv1 = nn.Conv2d(inPlanes, width, 1, bias: false);
        bn1 = nn.BatchNorm2d(width);
        conv2 = nn.Conv2d(width, width, 3, stride: stride, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(width);
        conv3 = nn.Conv2d(width, outPlanes, 1, bias: false);
        bn3 = nn.BatchNorm2d(outPlanes);
        downsample = stride != 1 || inPlanes != outPlanes ? TorchVisionResNet.Projection(inPlanes, outPlanes, stride) : null;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = bn1.forward(conv1.forward(x)).relu_();
        y = bn2.forward(conv2.forward(y)).relu_();
        y = bn3.forward(conv3.forward(y));
        var identity = downsample is null ? x : downsample.forward(x);
        return y.add_(identity).relu_().MoveToOuterDisposeScope();
    }
}

/// <summary>
/// torchvision's ResNet-18, ResNet-50 and WideResNet-50-2, with torchvision's state-dict key names
/// (<c>conv1.weight</c>, <c>bn1.*</c>, <c>layer1.0.conv1.weight</c>, …, <c>fc.*</c>), so users who bring
/// torchvision <c>.pth</c> weights can use them. Input: ImageNet mean/std normalised RGB. Frozen after loading.
/// </summary>
public sealed class TorchVisionResNet : nn.Module<Tensor, Tensor>, IResNetBackbone
{
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly Sequential layer1, layer2, layer3, layer4;
    readonly Linear fc;

    public TorchVisionResNetKind Kind { get; }
    public IReadOnlyList<int> BlocksPerStage { get; }
    public IReadOnlyList<long> StageChannels { get; }

    /// <summary>A model with torchvision's default initialisation; see <see cref="Load"/> for pretrained weights.</summary>
    public TorchVisionResNet(TorchVisionResNetKind kind) : base(RegistryName(kind))
    {
        Kind = kind;
        int[] blocks = kind == TorchVisionResNetKind.ResNet18 ? [2, 2, 2, 2] : [3, 4, 6, 3];
        long expansion = kind == TorchVisionResNetKind.ResNet18 ? 1 : 4;
        long widthFactor = kind == TorchVisionResNetKind.WideResNet50_2 ? 2 : 1;
        conv1 = nn.Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = nn.BatchNorm2d(64);
        long inPlanes = 64;
        var layers = new Sequential[4];
        for (int s = 0; s < 4; s++)
        {
            long planes = 64L << s;
            var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
            for (int b = 0; b < blocks[s]; b++)
            {
                long stride = b == 0 && s > 0 ? 2 : 1;
                nn.Module<Tensor, Tensor> block = expansion == 1
                    ? new TorchVisionBasicBlock(inPlanes, planes, stride)
                    : new TorchVisionBottleneck(inPlanes, planes, stride, widthFactor);
                modules.Add((b.ToString(System.Globalization.CultureInfo.InvariantCulture), block));
                inPlanes = planes * expansion;
            }
            layers[s] = nn.Sequential(modules.ToArray());
        }
        (layer1, layer2, layer3, layer4) = (layers[0], layers[1], layers[2], layers[3]);
        fc = nn.Linear(512 * expansion, 1000);
        BlocksPerStage = blocks;
        StageChannels = Enumerable.Range(0, 4).Select(s => (64L << s) * expansion).ToArray();
        RegisterComponents();
        Freeze();
    }

    /// <summary><c>resnet18</c>, <c>resnet50</c> or <c>wide_resnet50_2</c> (torchvision's names).</summary>
    public static string RegistryName(TorchVisionResNetKind kind) => kind switch
    {
        TorchVisionResNetKind.ResNet18 => "resnet18",
        TorchVisionResNetKind.ResNet50 => "resnet50",
        _ => "wide_resnet50_2",
    };

    public string Name => RegistryName(Kind);

    /// <summary>
    /// Builds the model and loads a torchvision state dict (<c>torch.save</c> format). Strict: a file whose keys
    /// or shapes differ from torchvision's gets one error naming the file and listing the missing, unexpected
    /// and shape-mismatched keys.
    /// </summary>
    public static TorchVisionResNet Load(TorchVisionResNetKind kind, string path)
    {
        var model = new TorchVisionResNet(kind);
        try
        {
            model.LoadStateDict(path);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    void LoadStateDict(string path)
    {
        var loaded = TorchFile.LoadTensors(path);
        try
        {
            var expected = state_dict();
            var missing = expected.Keys.Where(k => !loaded.ContainsKey(k)).ToList();
            var unexpected = loaded.Keys.Where(k => !expected.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
            var mismatched = expected.Keys.Where(k => loaded.TryGetValue(k, out var t) && !t.shape.SequenceEqual(expected[k].shape))
                .Select(k => $"{k} (file [{string.Join(", ", loaded[k].shape)}], model [{string.Join(", ", expected[k].shape)}])").ToList();
            if (missing.Count + unexpected.Count + mismatched.Count > 0)
            {
                throw new AnomalyMoEException(
                    $"'{path}' is not a torchvision {Name} state dict: "
                    + $"missing keys: {Describe(missing)}; unexpected keys: {Describe(unexpected)}; shape mismatches: {Describe(mismatched)}.");
            }
            using (no_grad())
            {
                foreach (var (key, target) in expected) target.copy_(loaded[key]);
            }
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }

    static string Describe(List<string> items) =>
        items.Count == 0 ? "none" : string.Join(", ", items.Take(12)) + (items.Count > 12 ? $" … and {items.Count - 12} more" : "");

    void Freeze()
    {
        eval();
        foreach (var p in parameters()) p.requires_grad = false;
    }

    /// <summary>ImageNet logits <c>[B, 1000]</c>, as torchvision's <c>forward</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = Stem(x);
        y = layer4.forward(layer3.forward(layer2.forward(layer1.forward(y))));
        return fc.forward(y.mean([-2, -1])).MoveToOuterDisposeScope();
    }

    public ResNetStageOutputs ForwardStages(Tensor normalizedRgb, int lastStage)
    {
        if (lastStage < 0 || lastStage > 3) throw new ArgumentOutOfRangeException(nameof(lastStage), lastStage, "stages are 0..3");
        using var scope = NewDisposeScope();
        var x = Stem(normalizedRgb);
        var result = new List<IReadOnlyList<Tensor>>();
        foreach (var layer in new[] { layer1, layer2, layer3, layer4 }.Take(lastStage + 1))
        {
            var outputs = new List<Tensor>();
            foreach (var block in layer.children().Cast<nn.Module<Tensor, Tensor>>())
            {
                x = block.forward(x);
                outputs.Add(x);
            }
            result.Add(outputs);
        }
        foreach (var stage in result) foreach (var t in stage) t.MoveToOuterDisposeScope();
        return new ResNetStageOutputs(result);
    }

    Tensor Stem(Tensor x) =>
        nn.functional.max_pool2d(bn1.forward(conv1.forward(x)).relu_(), [3, 3], [2, 2], [1, 1]);

    public void MoveTo(Device device) => this.to(device);

    public void ConvertWeights(ScalarType dtype) => this.to(dtype);

    internal static Sequential Projection(long inPlanes, long outPlanes, long stride) =>
        nn.Sequential(("0", nn.Conv2d(inPlanes, outPlanes, 1, stride: stride, bias: false)), ("1", nn.BatchNorm2d(outPlanes)));
}
