using AnomalyMoE.Components;
using AnomalyMoE.Encoders;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Components;

public class UnsupervisedComponentMasksTests
{
    // An 8×8 grid: background (feature e0) everywhere, a left object half (e1) in rows/cols 2..5 cols 2..3, a right half (e2) cols 4..5.
    static Tensor SyntheticMaps(int images)
    {
        using var scope = NewDisposeScope();
        var map = zeros(images, 4, 8, 8);
        map[.., 0] = tensor(1f);
        map[.., 0, 2..6, 2..6] = tensor(0f);
        map[.., 1, 2..6, 2..4] = tensor(1f);
        map[.., 2, 2..6, 4..6] = tensor(1f);
        manual_seed(0);
        return (map + 0.05 * randn(images, 4, 8, 8)).MoveToOuterDisposeScope();
    }

    static readonly ComponentMaskOptions Options = new(Clusters: 3, PatchesPerImage: 0);

    [Fact]
    public void Drops_the_corner_cluster_and_keeps_the_object_parts()
    {
        using var maps = SyntheticMaps(4);
        using var model = UnsupervisedComponentMasks.Fit([maps], Options);
        Assert.Equal(2, model.KeptClusters.Count);
        var masks = model.Masks(maps[0..1], 32, 32);
        using var m = masks[0];
        Assert.Equal(new long[] { 2, 32, 32 }, m.shape);
        // Together the two kept masks cover exactly the 16×16 object (grid cells 2..5 → pixels 8..23).
        using var union = m.sum([0]);
        Assert.Equal(256, union.gt(0).sum().item<long>());
        Assert.Equal(1, union.max().item<long>());
        Assert.Equal(1, union[8, 8].item<long>());
        Assert.Equal(0, union[0, 0].item<long>());
    }

    [Fact]
    public void Scattered_clusters_are_dropped_even_without_the_corner_rule()
    {
        // A fourth feature (e3) in two isolated background cells: under a 3×3 box blur its assignment peaks at 1/9, while
        // the background and the two 4×2 object halves reach at least 6/9.
        using var maps = SyntheticMaps(2);
        foreach (var (y, x) in new[] { (0, 7), (7, 1) })
        {
            maps[.., 0, y, x] = tensor(0f);
            maps[.., 3, y, x] = tensor(1f);
        }
        using var model = UnsupervisedComponentMasks.Fit([maps], Options with { Clusters = 4, CornerLimit = 5, MinimumStrength = 0.25, StrengthWindow = 3.0 / 8 });
        Assert.Equal(3, model.KeptClusters.Count);
        using var scattered = model.Assign(maps[0..1]);
        Assert.DoesNotContain(scattered[0, 0, 7].item<long>(), model.KeptClusters.Select(c => (long)c));
    }

    [Fact]
    public void When_every_cluster_would_be_dropped_the_corner_passing_ones_are_kept()
    {
        using var maps = SyntheticMaps(2);
        using var model = UnsupervisedComponentMasks.Fit([maps], Options with { MinimumStrength = 10, CornerLimit = 5 });
        Assert.Equal(3, model.KeptClusters.Count);
    }

    [Fact]
    public void Fit_or_load_caches_the_model_per_category_and_encoder()
    {
        using var dir = new TempDirectory();
        using var maps = SyntheticMaps(2);
        using var fitted = UnsupervisedComponentMasks.FitOrLoad(dir.Path, "screw bag", "dinov2_vitb14_reg4", () => [maps], Options);
        var path = UnsupervisedComponentMasks.CachePath(dir.Path, "screw bag", "dinov2_vitb14_reg4", Options);
        Assert.True(File.Exists(path));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));
        using var loaded = UnsupervisedComponentMasks.FitOrLoad(dir.Path, "screw bag", "dinov2_vitb14_reg4",
            () => throw new InvalidOperationException("features must not be recomputed"), Options);
        Assert.Equal(fitted.KeptClusters, loaded.KeptClusters);
        Assert.True(fitted.Centroids.allclose(loaded.Centroids));
        Assert.NotEqual(path, UnsupervisedComponentMasks.CachePath(dir.Path, "screw bag", "resnet18_onnx", Options));
    }

    [Theory]
    [InlineData(nameof(ComponentMaskOptions.MaxIterations))]
    [InlineData(nameof(ComponentMaskOptions.Tolerance))]
    [InlineData(nameof(ComponentMaskOptions.CornerFraction))]
    [InlineData(nameof(ComponentMaskOptions.Clusters))]
    [InlineData(nameof(ComponentMaskOptions.StrengthWindow))]
    public void The_cache_path_changes_with_each_clustering_setting(string field)
    {
        var changed = field switch
        {
            nameof(ComponentMaskOptions.MaxIterations) => Options with { MaxIterations = Options.MaxIterations + 1 },
            nameof(ComponentMaskOptions.Tolerance) => Options with { Tolerance = Options.Tolerance * 0.5 },
            nameof(ComponentMaskOptions.CornerFraction) => Options with { CornerFraction = Options.CornerFraction * 1.001 },
            nameof(ComponentMaskOptions.Clusters) => Options with { Clusters = Options.Clusters + 1 },
            _ => Options with { StrengthWindow = Options.StrengthWindow * 0.5 },
        };
        Assert.NotEqual(UnsupervisedComponentMasks.CachePath("cache", "bottle", "enc", Options), UnsupervisedComponentMasks.CachePath("cache", "bottle", "enc", changed));
    }

    [Fact]
    public void Masks_cached_with_other_iterations_are_fitted_again()
    {
        using var dir = new TempDirectory();
        using var maps = SyntheticMaps(2);
        using (UnsupervisedComponentMasks.FitOrLoad(dir.Path, "bottle", "enc", () => [maps], Options)) { }
        bool refitted = false;
        using (UnsupervisedComponentMasks.FitOrLoad(dir.Path, "bottle", "enc", () => { refitted = true; return [maps]; }, Options with { MaxIterations = Options.MaxIterations + 5 })) { }
        Assert.True(refitted);
        Assert.Equal(2, Directory.GetFiles(dir.Path, "*.pth").Length);
    }

    [Fact]
    public void Loading_a_foreign_file_names_it()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("x.pth");
        using (var t = zeros(2))
            AnomalyMoE.Parity.TorchFile.SaveTensors(new Dictionary<string, Tensor> { ["other"] = t }, path);
        var e = Assert.Throws<AnomalyMoE.Runtime.AnomalyMoEException>(() => ComponentMaskModel.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Options_validation_names_the_bad_value()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => (ComponentMaskOptions.Reference with { Clusters = 0 }).Validate());
        Assert.Contains("Clusters", e.Message);
    }
    /// <summary>An encoder whose patch tokens are the 4 channels of the input averaged over each 14×14 cell, behind one class token.</summary>
    sealed class CellMeanEncoder : IFeatureEncoder
    {
        public int Calls { get; private set; }
        public EncoderInfo Info { get; } = new("cell-mean", 4, 14, 2, 1, ImageNormalization.ImageNet);

        public EncoderOutput Encode(Tensor images, IReadOnlyList<int> layers)
        {
            Calls++;
            using var scope = NewDisposeScope();
            var cells = nn.functional.avg_pool2d(images, 14);                          // [B,4,h,w]
            var tokens = cells.flatten(2).permute(0, 2, 1);                              // [B,h·w,4]
            var withCls = cat([zeros(images.shape[0], 1, 4), tokens], 1);
            var maps = layers.Select(_ => withCls.clone().MoveToOuterDisposeScope()).ToArray();
            return new EncoderOutput(maps, zeros(images.shape[0], 4).MoveToOuterDisposeScope(), (int)cells.shape[2], (int)cells.shape[3]);
        }

        public void MoveTo(Device device) { }
        public void ConvertWeights(ScalarType dtype) { }   // no weights
        public void Dispose() { }
    }

    [Fact]
    public void Fits_from_an_encoder_layer_and_caches_under_its_name_and_layer()
    {
        using var dir = new TempDirectory();
        using var maps = SyntheticMaps(2);
        using var images = nn.functional.interpolate(maps, [112, 112], mode: InterpolationMode.Nearest);
        var encoder = new CellMeanEncoder();
        using var model = UnsupervisedComponentMasks.FitOrLoad(dir.Path, "bottle", encoder, 1, () => [images], Options);
        Assert.Equal(2, model.KeptClusters.Count);
        Assert.Equal(1, encoder.Calls);
        Assert.True(File.Exists(UnsupervisedComponentMasks.CachePath(dir.Path, "bottle", "cell-mean-L1", Options)));
        using var again = UnsupervisedComponentMasks.FitOrLoad(dir.Path, "bottle", encoder, 1, () => [images], Options);
        Assert.Equal(1, encoder.Calls);
    }
}
