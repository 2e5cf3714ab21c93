using AnomalyMoE.Encoders;
using AnomalyMoE.Encoders.ResNet;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Encoders.ResNet;

/// <summary>The TorchSharp conversion against ONNX Runtime running the package's own two ONNX files.</summary>
[Collection(ResNet18OnnxCollection.Name)]
public class ResNet18OnnxParityTests(ResNet18OnnxFixture fixture)
{
    /// <summary>ImageNet-normalised random images and the same images as RGB 0–255 (what the ONNX preprocessing reads).</summary>
    static (Tensor Normalized, Tensor Rgb255) RandomImages(int batch, int seed)
    {
        var generator = new Generator((ulong)seed);
        var rgb01 = rand([batch, 3, 224, 224], generator: generator);
        var n = ImageNormalization.ImageNet;
        using var mean = tensor(n.Mean).view(1, 3, 1, 1);
        using var std = tensor(n.Std).view(1, 3, 1, 1);
        var normalized = (rgb01 - mean) / std;
        var rgb255 = rgb01 * 255;
        rgb01.Dispose();
        return (normalized, rgb255);
    }

    static float[] RunOrt(string modelPath, Tensor input, out long[] shape)
    {
        using var session = new InferenceSession(modelPath);
        var inputName = session.InputMetadata.Keys.Single();
        var outputName = session.OutputMetadata.Keys.Single();
        using var contiguous = input.contiguous();
        var data = contiguous.data<float>().ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(data, input.shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [inputName], [value], [outputName]);
        shape = outputs[0].GetTensorTypeAndShape().Shape;
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>
    /// The model bytes with extra graph outputs (so ONNX Runtime returns intermediate values): the GraphProto
    /// field is rewritten with ValueInfoProto entries (name, float tensor type) appended; other fields are copied.
    /// </summary>
    static byte[] WithExtraOutputs(byte[] model, IEnumerable<string> names)
    {
        var extra = new MemoryStream();
        foreach (var name in names)
        {
            var info = new MemoryStream();
            var w = new CodedOutputStream(info);
            w.WriteTag(1, WireFormat.WireType.LengthDelimited);   // ValueInfoProto.name
            w.WriteString(name);
            w.WriteTag(2, WireFormat.WireType.LengthDelimited);   // ValueInfoProto.type = TypeProto{tensor_type{elem_type=FLOAT}}
            w.WriteBytes(ByteString.CopyFrom(0x0A, 0x02, 0x08, 0x01));
            w.Flush();
            var e = new CodedOutputStream(extra);
            e.WriteTag(12, WireFormat.WireType.LengthDelimited);  // GraphProto.output
            e.WriteBytes(ByteString.CopyFrom(info.ToArray()));
            e.Flush();
        }
        var result = new MemoryStream();
        var input = new CodedInputStream(model);
        while (true)
        {
            int start = (int)input.Position;
            uint tag = input.ReadTag();
            if (tag == 0) break;
            if (WireFormat.GetTagFieldNumber(tag) != 7)
            {
                input.SkipLastField();
                result.Write(model, start, (int)input.Position - start);
                continue;
            }
            var graph = input.ReadBytes().ToByteArray().Concat(extra.ToArray()).ToArray();
            var o = new CodedOutputStream(result);
            o.WriteTag(7, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(graph));
            o.Flush();
        }
        return result.ToArray();
    }

    [Fact]
    public void Stage2_and_stage3_block_outputs_match_onnx_runtime()
    {
        var topology = ResNetTopology.FromOnnx(OnnxModel.Load(fixture.ModelPath));
        var names = new[] { 1, 2 }.SelectMany(s => topology.Stages[s].Select(b => b.Output)).ToArray();
        using var session = new InferenceSession(WithExtraOutputs(File.ReadAllBytes(fixture.ModelPath), names));

        var (normalized, rgb255) = RandomImages(1, 4);
        using var _n = normalized;
        using var _r = rgb255;
        using var input = fixture.Backbone.Preprocessing.FromImageNetNormalized(normalized);
        using var contiguous = input.contiguous();
        var data = contiguous.data<float>().ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(data, input.shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [session.InputMetadata.Keys.Single()], [value], names);
        using var ours = fixture.Backbone.Network.ForwardStages(input, 2);
        var oursFlat = new[] { 1, 2 }.SelectMany(s => ours.Stages[s]).ToArray();
        for (int i = 0; i < names.Length; i++)
        {
            using var expected = tensor(outputs[i].GetTensorDataAsSpan<float>().ToArray(), outputs[i].GetTensorTypeAndShape().Shape);
            Assert.Equal(expected.shape, oursFlat[i].shape);
            var maxAbs = (oursFlat[i] - expected).abs().max().item<float>();
            Assert.True(maxAbs <= 1e-3f, $"{names[i]}: max abs error {maxAbs}");
        }
    }

    [Fact]
    public void Preprocessing_matches_the_onnx_preprocess_model()
    {
        var (normalized, rgb255) = RandomImages(1, 1);
        using var _n = normalized;
        using var _r = rgb255;
        var expected = RunOrt(fixture.PreprocessPath, rgb255, out var shape);
        using var ours = fixture.Backbone.Preprocessing.FromImageNetNormalized(normalized);
        Assert.Equal(shape, ours.shape);
        using var exp = tensor(expected, shape);
        var maxAbs = (ours - exp).abs().max().item<float>();
        Assert.True(maxAbs < 1e-3f, $"max abs error {maxAbs}");
    }

    [Fact]
    public void Pooled_features_match_onnx_runtime_to_1e3()
    {
        var (normalized, rgb255) = RandomImages(1, 2);
        using var _n = normalized;
        using var _r = rgb255;
        var prep = RunOrt(fixture.PreprocessPath, rgb255, out var prepShape);
        using var prepTensor = tensor(prep, prepShape);
        var expected = RunOrt(fixture.ModelPath, prepTensor, out var shape);
        Assert.Equal(512, expected.Length);

        using var ours = fixture.Backbone.PooledFeatures(normalized);
        Assert.Equal(new long[] { 1, 512 }, ours.shape);
        using var exp = tensor(expected).view(1, 512);
        var maxAbs = (ours - exp).abs().max().item<float>();
        var scale = exp.abs().max().item<float>();
        Console.WriteLine($"ResNet18 ONNX parity: max abs error {maxAbs:E3} (feature max {scale:F3})");
        Assert.True(scale > 0.1f, "the reference features are degenerate");
        Assert.True(maxAbs <= 1e-3f, $"max abs error {maxAbs}");
    }
}
