namespace AnomalyMoE.Encoders.ResNet;

/// <summary>
/// A convolution followed by batch normalisation, with the batch norm folded into the convolution
/// (<c>w' = w·γ/√(σ²+ε)</c>, <c>b' = β − μ·γ/√(σ²+ε)</c>): exact in eval mode, and one kernel per unit.
/// <paramref name="Pads"/> is in ONNX order <c>[top, left, bottom, right]</c>.
/// </summary>
public sealed record ConvBnSpec(string NodeName, string Input, long[] WeightShape, float[] Weight, float[] Bias, long Stride, long[] Pads)
{
    public long OutChannels => WeightShape[0];
    public long InChannels => WeightShape[1];
    public long Kernel => WeightShape[2];
}

/// <summary>A basic residual block: <c>relu(bn(conv_b(relu(bn(conv_a(x))))) + shortcut(x))</c>.</summary>
public sealed record ResidualBlockSpec(ConvBnSpec ConvA, ConvBnSpec ConvB, ConvBnSpec? Shortcut, string Output);

/// <summary>Max pooling with ONNX pads <c>[top, left, bottom, right]</c>.</summary>
public sealed record PoolSpec(long Kernel, long Stride, long[] Pads);

/// <summary>
/// The topology of a basic-block ResNet read from an ONNX graph: stem conv+BN+ReLU, max pool,
/// residual blocks grouped into stages (a stage starts where the channel count changes), average-pool head.
/// </summary>
public sealed record ResNetTopology(ConvBnSpec Stem, PoolSpec StemPool, IReadOnlyList<IReadOnlyList<ResidualBlockSpec>> Stages, long HeadPoolKernel)
{
    public int ConvolutionCount => 1 + Stages.Sum(s => s.Sum(b => b.Shortcut is null ? 2 : 3));
    public int[] BlocksPerStage => Stages.Select(s => s.Count).ToArray();
    public long[] StageChannels => Stages.Select(s => s[^1].ConvB.OutChannels).ToArray();

    /// <summary>
    /// Follows an ONNX graph from its input: Conv→BatchNormalization→Relu→MaxPool, then every
    /// Add of a residual branch (Conv→BN→Relu→Conv→BN) with the block input or a Conv→BN projection,
    /// each followed by Relu, then AveragePool. Anything else is reported with the node's name.
    /// </summary>
    public static ResNetTopology FromOnnx(OnnxModel model)
    {
        var producer = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        var consumers = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (var n in model.Nodes)
        {
            foreach (var o in n.Outputs) producer[o] = n;
            foreach (var i in n.Inputs)
            {
                if (!consumers.TryGetValue(i, out var list)) consumers[i] = list = [];
                list.Add(n);
            }
        }
        if (model.Inputs.Count != 1) throw Bad(model, $"expected one image input, found {model.Inputs.Count}");

        OnnxNode Single(string value, string op)
        {
            if (!consumers.TryGetValue(value, out var list) || list.Count(n => n.OpType == op) != 1)
                throw Bad(model, $"expected exactly one {op} node reading '{value}'");
            return list.Single(n => n.OpType == op);
        }

        var folded = new Dictionary<string, ConvBnSpec>(StringComparer.Ordinal);
        ConvBnSpec? TryConvBn(string bnOutput)
        {
            if (folded.TryGetValue(bnOutput, out var known)) return known;
            if (!producer.TryGetValue(bnOutput, out var bn) || bn.OpType != "BatchNormalization") return null;
            if (!producer.TryGetValue(bn.Inputs[0], out var conv) || conv.OpType != "Conv") return null;
            return folded[bnOutput] = ConvBn(model, conv, bn);
        }

        var stemConvNode = Single(model.Inputs[0], "Conv");
        var stem = TryConvBn(Single(stemConvNode.Outputs[0], "BatchNormalization").Outputs[0])
                   ?? throw Bad(model, $"stem '{stemConvNode.Name}' is not followed by batch normalisation");
        var stemRelu = Single(Single(stemConvNode.Outputs[0], "BatchNormalization").Outputs[0], "Relu");
        var maxPool = Single(stemRelu.Outputs[0], "MaxPool");
        var kernel = maxPool.Ints("kernel_shape", []);
        var strides = maxPool.Ints("strides", [1, 1]);
        if (kernel.Length != 2 || kernel[0] != kernel[1] || strides[0] != strides[1])
            throw Bad(model, $"max pool '{maxPool.Name}' must have a square kernel and equal strides");
        var pool = new PoolSpec(kernel[0], strides[0], maxPool.Ints("pads", [0, 0, 0, 0]));

        var current = maxPool.Outputs[0];
        var blocks = new List<ResidualBlockSpec>();
        while (consumers.TryGetValue(current, out var next) && next.Any(n => n.OpType == "Conv"))
        {
            // Every Add reading this value (directly or through a projection) closes the next block.
            var add = model.Nodes.FirstOrDefault(n => n.OpType == "Add" && n.Inputs.Count == 2 && IsBlockAdd(n, current))
                      ?? throw Bad(model, $"no residual Add closes the block starting at '{current}'");
            ResidualBlockSpec? block = null;
            for (int side = 0; side < 2 && block is null; side++)
            {
                var branch = TryConvBn(add.Inputs[side]);
                if (branch is null || !producer.TryGetValue(branch.Input, out var relu) || relu.OpType != "Relu") continue;
                var first = TryConvBn(relu.Inputs[0]);
                if (first is null || first.Input != current) continue;
                var other = add.Inputs[1 - side];
                ConvBnSpec? shortcut = null;
                if (other != current)
                {
                    shortcut = TryConvBn(other);
                    if (shortcut is null || shortcut.Input != current) continue;
                }
                var outRelu = Single(add.Outputs[0], "Relu");
                block = new ResidualBlockSpec(first, branch, shortcut, outRelu.Outputs[0]);
            }
            if (block is null) throw Bad(model, $"Add node '{add.Name}' is not a basic residual block over '{current}'");
            blocks.Add(block);
            current = block.Output;
        }
        if (blocks.Count == 0) throw Bad(model, "no residual blocks follow the stem");

        var head = Single(current, "AveragePool");
        var headKernel = head.Ints("kernel_shape", []);
        if (headKernel.Length != 2 || headKernel[0] != headKernel[1]) throw Bad(model, $"head pool '{head.Name}' must be square");

        var stages = new List<IReadOnlyList<ResidualBlockSpec>>();
        foreach (var b in blocks)
        {
            if (stages.Count == 0 || b.ConvB.OutChannels != stages[^1][^1].ConvB.OutChannels) stages.Add(new List<ResidualBlockSpec>());
            ((List<ResidualBlockSpec>)stages[^1]).Add(b);
        }
        var topology = new ResNetTopology(stem, pool, stages, headKernel[0]);
        int convNodes = model.Nodes.Count(n => n.OpType == "Conv");
        if (convNodes != topology.ConvolutionCount)
            throw Bad(model, $"{convNodes} Conv nodes in the graph but {topology.ConvolutionCount} reached from the input; the graph is not a plain residual chain");
        return topology;

        bool IsBlockAdd(OnnxNode add, string blockInput)
        {
            foreach (var input in add.Inputs)
            {
                if (input == blockInput) return true;
                if (TryConvBn(input) is { } s && s.Input == blockInput) return true;
            }
            return false;
        }
    }

    static ConvBnSpec ConvBn(OnnxModel model, OnnxNode conv, OnnxNode bn)
    {
        var w = Init(model, conv, 1);
        if (w.Dims.Length != 4 || w.Dims[2] != w.Dims[3]) throw Bad(model, $"conv '{conv.Name}' weight must be [out, in, k, k]");
        if (conv.Int("group", 1) != 1) throw Bad(model, $"conv '{conv.Name}' is grouped, which is not supported");
        if (conv.Ints("dilations", [1, 1]).Any(d => d != 1)) throw Bad(model, $"conv '{conv.Name}' is dilated, which is not supported");
        if (conv.Attributes.TryGetValue("auto_pad", out var ap) && ap.Text is { } autoPad && autoPad != "NOTSET")
            throw Bad(model, $"conv '{conv.Name}' uses auto_pad={autoPad}; only explicit pads are supported");
        var strides = conv.Ints("strides", [1, 1]);
        if (strides[0] != strides[1]) throw Bad(model, $"conv '{conv.Name}' has unequal strides");
        var pads = conv.Ints("pads", [0, 0, 0, 0]);

        long outC = w.Dims[0], perOut = w.Data.Length / outC;
        var convBias = conv.Inputs.Count > 2 ? Init(model, conv, 2).Data : new float[outC];
        var gamma = Init(model, bn, 1).Data;
        var beta = Init(model, bn, 2).Data;
        var mean = Init(model, bn, 3).Data;
        var variance = Init(model, bn, 4).Data;
        var eps = bn.Float("epsilon", 1e-5f);
        if (gamma.Length != outC || beta.Length != outC || mean.Length != outC || variance.Length != outC)
            throw Bad(model, $"batch norm '{bn.Name}' has parameters of the wrong length for {outC} channels");

        var weight = new float[w.Data.Length];
        var bias = new float[outC];
        for (long o = 0; o < outC; o++)
        {
            double scale = gamma[o] / Math.Sqrt(variance[o] + (double)eps);
            for (long k = 0; k < perOut; k++) weight[o * perOut + k] = (float)(w.Data[o * perOut + k] * scale);
            bias[o] = (float)((convBias[o] - mean[o]) * scale + beta[o]);
        }
        return new ConvBnSpec(conv.Name, conv.Inputs[0], w.Dims, weight, bias, strides[0], pads);
    }

    static OnnxTensor Init(OnnxModel model, OnnxNode node, int input)
    {
        if (node.Inputs.Count <= input || !model.Initializers.TryGetValue(node.Inputs[input], out var t))
            throw Bad(model, $"node '{node.Name}' input {input} is not a stored weight");
        return t;
    }

    static InvalidDataException Bad(OnnxModel model, string what) =>
        new($"'{model.Path}' is not a supported ResNet graph: {what}.");
}
