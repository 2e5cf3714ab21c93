using AnomalyMoE.Encoders.ResNet;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Encoders.ResNet;

[Collection(ResNet18OnnxCollection.Name)]
public class ResNet18OnnxConversionTests(ResNet18OnnxFixture fixture)
{
    [Fact]
    public void Graph_has_the_measured_cntk_topology()
    {
        var topology = ResNetTopology.FromOnnx(OnnxModel.Load(fixture.ModelPath));
        Assert.Equal(22, topology.ConvolutionCount);
        Assert.Equal([2, 2, 2, 3], topology.BlocksPerStage);
        Assert.Equal([64L, 128, 256, 512], topology.StageChannels);
        Assert.Equal([3L, 3, 2, 2], topology.Stem.Pads);
        Assert.Equal(2, topology.Stem.Stride);
        Assert.Equal([1L, 1, 0, 0], topology.StemPool.Pads);
        Assert.Equal(7, topology.HeadPoolKernel);
        foreach (var stage in topology.Stages.Skip(1))
        {
            var first = stage[0];
            Assert.NotNull(first.Shortcut);
            Assert.Equal((1L, 2L), (first.Shortcut!.Kernel, first.Shortcut.Stride));
            Assert.Equal([1L, 1, 0, 0], first.ConvA.Pads);
            Assert.All(stage.Skip(1), b => Assert.Null(b.Shortcut));
        }
        Assert.All(topology.Stages[0], b => Assert.Null(b.Shortcut));
    }

    [Fact]
    public void Preprocessing_mean_image_is_224_square_bgr()
    {
        Assert.Equal(new long[] { 1, 3, 224, 224 }, fixture.Backbone.Preprocessing.MeanImage.shape);
    }

    [Fact]
    public void Missing_explicit_file_error_names_the_path()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ResNet18OnnxFiles.ResolveModel("/nonexistent/ResNet18.onnx"));
        Assert.Contains("/nonexistent/ResNet18.onnx", e.Message);
    }

    [Fact]
    public void Resolution_looks_in_the_output_folder_then_the_nuget_cache()
    {
        var candidates = ResNet18OnnxFiles.Candidates(ResNet18OnnxFiles.ModelRelativePath);
        Assert.StartsWith(AppContext.BaseDirectory, candidates[0]);
        Assert.Contains(Path.Combine("microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels"), candidates[1]);
        Assert.Equal(candidates[0], ResNet18OnnxFiles.ResolveModel());
    }

    [Fact]
    public void Non_onnx_file_error_names_the_path()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("bad.onnx");
        File.WriteAllBytes(path, [0xff, 0xff, 0xff, 0xff, 0x0f]);
        var e = Assert.Throws<InvalidDataException>(() => ResNet18Network.FromOnnx(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Preprocess_model_is_not_a_resnet()
    {
        var e = Assert.Throws<InvalidDataException>(() => ResNet18Network.FromOnnx(fixture.PreprocessPath));
        Assert.Contains(fixture.PreprocessPath, e.Message);
        Assert.Contains("not a supported ResNet graph", e.Message);
    }
}
