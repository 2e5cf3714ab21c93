using AnomalyMoE.Baselines;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Baselines;

public class PatchCoreMemoryBankTests
{
    [Fact]
    public void Coreset_keeps_the_requested_fraction_of_distinct_features()
    {
        using var features = randn(400, 16, generator: new torch.Generator(1));
        using var bank = PatchCoreMemoryBank.Build(features, new PatchCoreOptions(CoresetRatio: 0.1, ProjectionDim: 8));
        Assert.Equal(new long[] { 40, 16 }, bank.Bank.shape);
        using var unique = bank.Bank.unique(dim: 0).output;
        Assert.Equal(40, unique.shape[0]);
    }

    [Fact]
    public void Greedy_coreset_always_keeps_an_isolated_outlier()
    {
        using var cluster = randn(300, 4, generator: new torch.Generator(2)) * 0.01;
        using var outlier = full(1, 4, 50f);
        using var features = cat([cluster, outlier], 0);
        using var bank = PatchCoreMemoryBank.Build(features, new PatchCoreOptions(CoresetRatio: 0.02));
        Assert.True((bank.Bank - outlier).abs().sum(1).min().item<float>() < 1e-6f);
    }

    [Fact]
    public void A_bank_feature_scores_zero_and_a_far_query_scores_its_distance()
    {
        using var features = tensor(new float[,] { { 0, 0 }, { 3, 4 } });
        using var bank = PatchCoreMemoryBank.Build(features, new PatchCoreOptions(CoresetRatio: 1));
        using var scores = bank.Score(tensor(new float[,] { { 3, 4 }, { 0, -5 } }));
        Assert.Equal(0f, scores[0].item<float>(), 5);
        Assert.Equal(5f, scores[1].item<float>(), 5);
    }

    [Fact]
    public void Empty_features_are_rejected_with_their_shape()
    {
        var e = Assert.Throws<ArgumentException>(() => PatchCoreMemoryBank.Build(zeros(0, 8)));
        Assert.Contains("[0, 8]", e.Message);
    }
}
