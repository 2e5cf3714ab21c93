using AnomalyMoE.Encoders.ResNet;
using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Encoders.ResNet;

public class TorchVisionResNetTests
{
    static Dictionary<string, Tensor> RandomizedStateDict(TorchVisionResNet model, int seed)
    {
        var generator = new Generator((ulong)seed);
        var dict = new Dictionary<string, Tensor>();
        foreach (var (key, value) in model.state_dict())
        {
            dict[key] = value.dtype == ScalarType.Float32
                ? (key.EndsWith("running_var", StringComparison.Ordinal) ? rand(value.shape, generator: generator) + 0.5 : randn(value.shape, generator: generator) * 0.1)
                : value.clone();
        }
        return dict;
    }

    [Fact]
    public void Loads_a_torchvision_resnet18_state_dict_exactly()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("resnet18.pth");
        using var source = new TorchVisionResNet(TorchVisionResNetKind.ResNet18);
        var dict = RandomizedStateDict(source, 3);
        TorchFile.SaveTensors(dict, path);

        using var loaded = TorchVisionResNet.Load(TorchVisionResNetKind.ResNet18, path);
        var state = loaded.state_dict();
        foreach (var (key, value) in dict)
        {
            Assert.True(state[key].allclose(value, rtol: 0, atol: 0), key);
            value.Dispose();
        }
        Assert.All(loaded.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Uses_torchvision_key_names_and_shapes()
    {
        using var r18 = new TorchVisionResNet(TorchVisionResNetKind.ResNet18);
        var keys = r18.state_dict();
        Assert.Equal(new long[] { 64, 3, 7, 7 }, keys["conv1.weight"].shape);
        Assert.Equal(new long[] { 128, 64, 1, 1 }, keys["layer2.0.downsample.0.weight"].shape);
        Assert.True(keys.ContainsKey("layer2.0.downsample.1.running_var"));
        Assert.Equal(new long[] { 1000, 512 }, keys["fc.weight"].shape);
        Assert.False(keys.ContainsKey("layer1.0.downsample.0.weight"));

        using var wide = new TorchVisionResNet(TorchVisionResNetKind.WideResNet50_2);
        var wkeys = wide.state_dict();
        Assert.Equal(new long[] { 128, 64, 1, 1 }, wkeys["layer1.0.conv1.weight"].shape);
        Assert.Equal(new long[] { 256, 128, 1, 1 }, wkeys["layer1.0.conv3.weight"].shape);
        Assert.Equal(new long[] { 1024, 1024, 3, 3 }, wkeys["layer4.0.conv2.weight"].shape);
        Assert.Equal(new long[] { 1000, 2048 }, wkeys["fc.weight"].shape);
        Assert.Equal([3, 4, 6, 3], wide.BlocksPerStage);
        Assert.Equal([256L, 512, 1024, 2048], wide.StageChannels);
    }

    [Fact]
    public void Wrong_file_error_names_the_file_and_lists_missing_unexpected_and_mismatched_keys()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("broken.pth");
        using var source = new TorchVisionResNet(TorchVisionResNetKind.ResNet18);
        var dict = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        dict.Remove("layer3.1.bn2.bias", out var removed);
        removed!.Dispose();
        dict["head.extra"] = zeros(3);
        dict["fc.weight"].Dispose();
        dict["fc.weight"] = zeros(10, 512);
        TorchFile.SaveTensors(dict, path);
        foreach (var t in dict.Values) t.Dispose();

        var e = Assert.Throws<AnomalyMoEException>(() => TorchVisionResNet.Load(TorchVisionResNetKind.ResNet18, path));
        Assert.Contains(path, e.Message);
        Assert.Contains("missing keys: layer3.1.bn2.bias", e.Message);
        Assert.Contains("unexpected keys: head.extra", e.Message);
        Assert.Contains("fc.weight (file [10, 512], model [1000, 512])", e.Message);
    }

    [Fact]
    public void Resnet18_weights_are_not_a_resnet50()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("resnet18.pth");
        using (var source = new TorchVisionResNet(TorchVisionResNetKind.ResNet18)) TorchFile.SaveTensors(source.state_dict(), path);
        var e = Assert.Throws<AnomalyMoEException>(() => TorchVisionResNet.Load(TorchVisionResNetKind.ResNet50, path));
        Assert.Contains("layer1.0.conv3.weight", e.Message);
        Assert.Contains("resnet50", e.Message);
    }

    [Fact]
    public void Token_encoder_over_resnet50_pairs_the_last_four_blocks_of_stages_two_and_three()
    {
        using var encoder = new ResNetTokenEncoder(new TorchVisionResNet(TorchVisionResNetKind.ResNet50));
        Assert.Equal(4, encoder.Info.LayerCount);
        Assert.Equal(512 + 1024, encoder.Info.Width);
        using var images = randn(1, 3, 64, 64);
        using var output = encoder.Encode(images, [0, 3]);
        Assert.Equal(new long[] { 1, 1 + 16, 1536 }, output.Layers[1].shape);
        Assert.Equal((4, 4), (output.GridH, output.GridW));
    }
}
