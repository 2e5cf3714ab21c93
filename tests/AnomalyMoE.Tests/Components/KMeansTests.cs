using AnomalyMoE.Components;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Components;

public class KMeansTests
{
    static Tensor ThreeBlobs()
    {
        manual_seed(0);
        var centres = tensor(new float[] { 0, 0, 10, 0, 0, 10 }, [3, 2]);
        return (centres.repeat_interleave(20, dim: 0) + 0.1 * randn(60, 2)).MoveToOuterDisposeScope();
    }

    [Fact]
    public void Finds_well_separated_clusters()
    {
        using var scope = NewDisposeScope();
        var data = ThreeBlobs();
        using var fit = KMeans.Fit(data, 3, seed: 1);
        var labels = KMeans.Assign(data, fit.Centroids).data<long>().ToArray();
        for (int blob = 0; blob < 3; blob++)
            Assert.Single(labels.Skip(blob * 20).Take(20).Distinct());
        Assert.Equal(3, labels.Distinct().Count());
        Assert.True(fit.Inertia < 60 * 0.1);
    }

    [Fact]
    public void Same_seed_gives_the_same_centroids()
    {
        using var scope = NewDisposeScope();
        var data = randn(200, 4);
        using var a = KMeans.Fit(data, 5, seed: 3);
        using var b = KMeans.Fit(data, 5, seed: 3);
        Assert.True(a.Centroids.allclose(b.Centroids, rtol: 0, atol: 0));
    }

    [Fact]
    public void Too_few_points_is_an_error_naming_k()
    {
        using var data = randn(2, 3);
        var e = Assert.Throws<ArgumentException>(() => KMeans.Fit(data, 5, 0));
        Assert.Contains("k = 5", e.Message);
    }
}
