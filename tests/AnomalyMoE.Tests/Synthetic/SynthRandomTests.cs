using AnomalyMoE.Synthetic;

namespace AnomalyMoE.Tests.Synthetic;

public class SynthRandomTests
{
    static ulong[] Draw(SynthRandom rng, int n) => Enumerable.Range(0, n).Select(_ => rng.NextULong()).ToArray();

    [Fact]
    public void SameImageCoordinatesGiveTheSameStream() =>
        Assert.Equal(Draw(SynthRandom.ForImage(3, "industrial", "nut", "test", 7), 16), Draw(SynthRandom.ForImage(3, "industrial", "nut", "test", 7), 16));

    [Theory]
    [InlineData(4, "industrial", "nut", "test", 7)]
    [InlineData(3, "logical", "nut", "test", 7)]
    [InlineData(3, "industrial", "weave", "test", 7)]
    [InlineData(3, "industrial", "nut", "train", 7)]
    [InlineData(3, "industrial", "nut", "test", 8)]
    public void AnyDifferentCoordinateGivesADifferentStream(int seed, string family, string category, string split, int index) =>
        Assert.NotEqual(Draw(SynthRandom.ForImage(3, "industrial", "nut", "test", 7), 4), Draw(SynthRandom.ForImage(seed, family, category, split, index), 4));

    [Fact]
    public void ForkDoesNotAdvanceTheParent()
    {
        var forked = SynthRandom.ForImage(0, "a", "b", "c", 0);
        _ = Draw(forked.Fork("child"), 8);
        Assert.Equal(Draw(SynthRandom.ForImage(0, "a", "b", "c", 0), 8), Draw(forked, 8));
    }

    [Fact]
    public void ForksWithDifferentTagsDiffer()
    {
        var rng = SynthRandom.ForImage(0, "a", "b", "c", 0);
        Assert.NotEqual(Draw(rng.Fork("layout"), 4), Draw(rng.Fork("defect"), 4));
    }

    [Fact]
    public void CloneReplaysTheSameDraws()
    {
        var rng = SynthRandom.ForImage(1, "a", "b", "c", 2);
        _ = rng.NextULong();
        var copy = rng.Clone();
        Assert.Equal(Draw(rng, 8), Draw(copy, 8));
    }

    [Fact]
    public void ApproximateNormalHasUnitMomentsAndUniformStaysInRange()
    {
        var rng = SynthRandom.ForImage(0, "moments", "x", "y", 0);
        var normals = Enumerable.Range(0, 200_000).Select(_ => (double)rng.NextApproxNormal()).ToArray();
        var mean = normals.Average();
        var variance = normals.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.98, 1.02);
        for (var i = 0; i < 10_000; i++) Assert.InRange(rng.Range(2, 5), 2f, 5f);
    }
}
