using AnomalyMoE.Encoders;
using AnomalyMoE.Encoders.ResNet;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Encoders.ResNet;

[Collection(ResNet18OnnxCollection.Name)]
public class ResNetTokenEncoderTests(ResNet18OnnxFixture fixture)
{
    /// <summary>An encoder over the shared backbone that does not dispose it.</summary>
    ResNetTokenEncoder Encoder() => new(new NonOwning(fixture.Backbone));

    [Fact]
    public void Describes_resnet18_onnx_tokens()
    {
        var info = Encoder().Info;
        Assert.Equal(new EncoderInfo("resnet18_onnx", 384, 16, 2, 1, ImageNormalization.ImageNet), info);
    }

    [Fact]
    public void Layers_are_one_mean_prefix_token_then_a_14x14_grid_at_224_px()
    {
        using var images = randn(2, 3, 224, 224);
        using var output = Encoder().Encode(images, [0, 1]);
        Assert.Equal((14, 14), (output.GridH, output.GridW));
        foreach (var layer in output.Layers)
        {
            Assert.Equal(new long[] { 2, 1 + 196, 384 }, layer.shape);
            using var patchMean = layer[.., 1..].mean([1]);
            Assert.True(layer[.., 0].allclose(patchMean, rtol: 1e-5, atol: 1e-5));
        }
        Assert.False(output.Layers[0].allclose(output.Layers[1]));
        Assert.True(output.GlobalToken.allclose(output.Layers[1][.., 0], rtol: 0, atol: 0));
        Assert.False(output.GlobalToken.requires_grad);
    }

    [Fact]
    public void Layer_concatenates_pooled_stage2_and_stage3_block_outputs()
    {
        using var images = randn(1, 3, 224, 224);
        using var output = Encoder().Encode(images, [1]);
        using var stages = fixture.Backbone.ForwardStages(images, 2);
        using var mid = nn.functional.avg_pool2d(stages.Stages[1][1], [2, 2]);
        using var expected = cat([mid, stages.Stages[2][1]], 1).flatten(2).transpose(1, 2);
        Assert.True(output.Layers[0][.., 1..].allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Other_input_sizes_give_the_stride_16_grid()
    {
        using var images = randn(1, 3, 160, 192);
        using var output = Encoder().Encode(images, [1]);
        Assert.Equal((10, 12), (output.GridH, output.GridW));
        Assert.Equal(new long[] { 1, 121, 384 }, output.Layers[0].shape);
    }

    [Fact]
    public void Unknown_layer_is_rejected_with_the_valid_range()
    {
        using var images = randn(1, 3, 64, 64);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Encoder().Encode(images, [2]));
        Assert.Contains("0..1", e.Message);
    }

    [Fact]
    public void Weights_are_frozen()
    {
        Assert.All(fixture.Backbone.Network.parameters(), p => Assert.False(p.requires_grad));
        Assert.False(fixture.Backbone.Network.training);
    }

    [Fact]
    public void Repeated_encoding_leaves_no_live_tensors_behind()
    {
        using var images = randn(1, 3, 64, 64);
        var encoder = Encoder();
        encoder.Encode(images, [0, 1]).Dispose();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 10; i++) encoder.Encode(images, [0, 1]).Dispose();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    sealed class NonOwning(IResNetBackbone inner) : IResNetBackbone
    {
        public string Name => inner.Name;
        public IReadOnlyList<int> BlocksPerStage => inner.BlocksPerStage;
        public IReadOnlyList<long> StageChannels => inner.StageChannels;
        public ResNetStageOutputs ForwardStages(Tensor normalizedRgb, int lastStage) => inner.ForwardStages(normalizedRgb, lastStage);
        public void MoveTo(Device device) => inner.MoveTo(device);
        public void ConvertWeights(ScalarType dtype) => inner.ConvertWeights(dtype);
        public void Dispose() { }
    }
}
