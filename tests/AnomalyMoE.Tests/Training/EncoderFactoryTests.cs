using AnomalyMoE.Encoders.ResNet;
using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Training;

/// <summary><c>--encoder resnet50 | wide-resnet50-2</c> with <c>--encoder-weights FILE.pth</c>.</summary>
public class EncoderFactoryTests
{
    static TrainingRunConfig Micro(string? encoder, string? weights = null) =>
        new() { Preset = "micro", Data = [], Encoder = encoder, EncoderWeights = weights };

    [Theory]
    [InlineData("resnet50", EncoderKind.TorchVisionResNet50)]
    [InlineData("wide-resnet50-2", EncoderKind.TorchVisionWideResNet50_2)]
    public void The_encoder_switch_sizes_the_experts_to_the_resnet_tokens(string name, EncoderKind kind)
    {
        var config = AnomalyMoE.Training.Switches.RunSwitches.Encoder.With(Micro(null), AnomalyMoE.Training.Switches.RunSwitches.Encoder.Parse(name));
        var preset = config.ResolvePreset();
        var micro = TrainingPresets.Get("micro");
        Assert.Equal(kind, preset.Encoder);
        Assert.Equal(512 + 1024, preset.Model.EmbedDim);
        Assert.Equal(preset.Model.EmbedDim, preset.Model.Patch.EmbedDim);
        // The taps keep their count and end at the ResNet's fourth (last) token map.
        Assert.Equal(micro.Model.TapLayers.Length, preset.Model.TapLayers.Length);
        Assert.Equal(3, preset.Model.TapLayers.Max());
        Assert.Equal(name, TrainingRunConfig.FromJson(config.ToJson(), "test").Encoder);
    }

    [Fact]
    public void A_torchvision_resnet50_pth_becomes_the_runs_encoder()
    {
        TorchRuntime.EnsureLoaded();
        using var dir = new TempDirectory();
        var path = dir.Combine("resnet50.pth");
        using (var source = new TorchVisionResNet(TorchVisionResNetKind.ResNet50))
            TorchFile.SaveTensors(source.state_dict(), path);
        var preset = Micro("resnet50", path).ResolvePreset();

        using var encoder = EncoderFactory.Create(preset, path, CPU);
        Assert.Equal("resnet50", encoder.Info.Name);
        Assert.Equal(preset.Model.EmbedDim, encoder.Info.Width);
        Assert.Equal(4, encoder.Info.LayerCount);

        var generator = new Generator(4);
        using var images = randn([1, 3, 64, 64], generator: generator);
        using var output = encoder.Encode(images, preset.Model.TapLayers);
        Assert.Equal(new long[] { 1, 1 + 4 * 4, 1536 }, output.Layers[0].shape);
        // The file's weights, not a fresh initialisation: the same tokens as the file loaded directly, others than a new model's.
        using var direct = new ResNetTokenEncoder(TorchVisionResNet.Load(TorchVisionResNetKind.ResNet50, path));
        using var fresh = new ResNetTokenEncoder(new TorchVisionResNet(TorchVisionResNetKind.ResNet50));
        using var fromFile = direct.Encode(images, preset.Model.TapLayers);
        using var fromFresh = fresh.Encode(images, preset.Model.TapLayers);
        Assert.True(output.Layers[^1].allclose(fromFile.Layers[^1], rtol: 0, atol: 0));
        Assert.False(output.Layers[^1].allclose(fromFresh.Layers[^1]));
    }

    [Fact]
    public void A_torchvision_encoder_without_weights_asks_for_them()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => EncoderFactory.Create(Micro("wide-resnet50-2").ResolvePreset(), null, CPU));
        Assert.Contains("--encoder-weights", e.Message);
        Assert.Contains("wide_resnet50_2", e.Message);
    }

    [Fact]
    public void A_preset_with_more_taps_than_the_resnet_has_layers_is_refused()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => (Micro("resnet50") with { Preset = "paper" }).ResolvePreset());
        Assert.Contains("--encoder", e.Message);
    }

    [Fact]
    public void An_unknown_encoder_exits_2_listing_the_choices()
    {
        using var dir = new TempDirectory();
        var stderr = new StringWriter();
        var code = AnomalyMoE.Cli.Cli.Run(["train", "--data", dir.Path, "--preset", "micro", "--out", dir.Combine("run"), "--quiet", "--encoder", "vgg16"],
            new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains("vgg16", stderr.ToString());
        Assert.Contains("wide-resnet50-2", stderr.ToString());
    }
}
