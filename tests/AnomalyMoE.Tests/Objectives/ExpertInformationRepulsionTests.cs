using AnomalyMoE.Objectives;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Objectives;

public class ExpertInformationRepulsionTests(ITestOutputHelper output)
{
    static IReadOnlyDictionary<string, Tensor> E => Seed0Tensors.Expected;

    static ClubEstimator FixtureEstimator(ClubLikelihood likelihood = ClubLikelihood.Reference)
    {
        var club = new ClubEstimator(64, likelihood);
        var (missing, unexpected) = club.load_state_dict(Seed0Tensors.ExpectedSubtree("club_params."), strict: true);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        return club;
    }

    [Fact]
    public void Upper_bound_reproduces_the_reference()
    {
        using var club = FixtureEstimator();
        using var _ = no_grad();
        using var bound = club.UpperBound(E["club.x"], E["club.y"], E["club.perm"]);
        var rel = Seed0Tensors.RelativeError(bound.view(1), E["club.upper_bound"]);
        output.WriteLine($"club.upper_bound relative error {rel:E2}");
        Assert.True(rel <= 1e-4);
    }

    [Fact]
    public void Learning_loss_reproduces_the_reference()
    {
        using var club = FixtureEstimator();
        using var _ = no_grad();
        using var loss = club.LearningLoss(E["club.x"], E["club.y"]);
        var rel = Seed0Tensors.RelativeError(loss.view(1), E["club.learning_loss"]);
        output.WriteLine($"club.learning_loss relative error {rel:E2}");
        Assert.True(rel <= 1e-4);
    }

    [Fact]
    public void Textbook_likelihood_adds_half_the_log_variance()
    {
        using var reference = FixtureEstimator();
        using var textbook = FixtureEstimator(ClubLikelihood.Textbook);
        using var _ = no_grad();
        using var a = reference.LearningLoss(E["club.x"], E["club.y"]);
        using var b = textbook.LearningLoss(E["club.x"], E["club.y"]);
        var (_, logVar) = reference.MuLogVar(E["club.x"]);
        using (logVar)
        using (var expected = a + logVar.sum([1]).mean() / 2.0)
            Assert.Equal(expected.item<float>(), b.item<float>(), 4);
    }

    [Fact]
    public void Bound_is_zero_when_the_permutation_is_the_identity()
    {
        using var club = new ClubEstimator(8);
        using var x = randn(4, 8);
        using var y = randn(4, 8);
        using var identity = arange(4, dtype: int64);
        using var bound = club.UpperBound(x, y, identity);
        Assert.Equal(0f, bound.item<float>(), 6);
    }

    [Fact]
    public void State_dict_keys_match_the_reference_names()
    {
        using var eir = new ExpertInformationRepulsion(new ExpertInformationRepulsionOptions(64));
        var keys = eir.state_dict().Keys.ToHashSet();
        foreach (var k in Seed0Tensors.ExpectedSubtree("club_params.").Keys)
        {
            Assert.Contains("patch_estimator." + k, keys);
            Assert.Contains("global_estimator." + k, keys);
        }
        Assert.Contains("normalizer.weight", keys);
    }

    [Fact]
    public void Value_averages_the_two_groups_over_layer_normed_features()
    {
        using var eir = new ExpertInformationRepulsion(new ExpertInformationRepulsionOptions(8));
        using var scope = NewDisposeScope();
        var patch = Enumerable.Range(0, 3).Select(_ => randn(4, 8)).ToArray();
        var global = Enumerable.Range(0, 2).Select(_ => randn(4, 8)).ToArray();
        using var generator = new Generator(7);
        var value = eir.Value(patch, global, new Random(1), generator);

        var random = new Random(1);
        var (pi, pj) = ExpertInformationRepulsion.DrawPair(3, random);
        var (gi, gj) = ExpertInformationRepulsion.DrawPair(2, random);
        using var generator2 = new Generator(7);
        var expected = (eir.PatchEstimator.UpperBound(eir.Normalize(patch[pi]), eir.Normalize(patch[pj]), generator2)
                        + eir.GlobalEstimator.UpperBound(eir.Normalize(global[gi]), eir.Normalize(global[gj]), generator2)) / 2.0;
        Assert.Equal(expected.item<float>(), value.item<float>(), 5);
    }

    [Fact]
    public void Value_gradient_reaches_the_expert_features()
    {
        // Seeded: an identity permutation of the negatives (1 in 24 for four rows) makes the bound exactly zero, gradient included.
        using var generator = new Generator(7);
        using var eir = new ExpertInformationRepulsion(new ExpertInformationRepulsionOptions(8));
        using var a = randn(new long[] { 4, 8 }, generator: generator).requires_grad_();
        using var b = randn(new long[] { 4, 8 }, generator: generator).requires_grad_();
        using var value = eir.Value([a, b], [], new Random(0), generator);
        value.backward();
        Assert.NotNull(a.grad);
        Assert.True(a.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Groups_with_fewer_than_two_experts_contribute_nothing()
    {
        using var eir = new ExpertInformationRepulsion(new ExpertInformationRepulsionOptions(8));
        using var x = randn(4, 8);
        using var value = eir.Value([x], [x], new Random(0));
        Assert.Equal(0f, value.item<float>());
    }

    [Fact]
    public void Drawn_pairs_are_distinct_and_cover_all_experts()
    {
        var random = new Random(3);
        var seen = new HashSet<int>();
        for (int n = 0; n < 200; n++)
        {
            var (i, j) = ExpertInformationRepulsion.DrawPair(4, random);
            Assert.NotEqual(i, j);
            seen.Add(i);
            seen.Add(j);
        }
        Assert.Equal(4, seen.Count);
    }

    [Fact]
    public void Options_validation_names_the_bad_value()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ExpertInformationRepulsionOptions(1).Validate());
        Assert.Contains("EmbedDim", e.Message);
    }
}
