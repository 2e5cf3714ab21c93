using AnomalyMoE.Experts;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Experts;

public class PatchExpertTests
{
    internal static PatchExpert LoadFixtureExpert(int index)
    {
        var expert = new PatchExpert(PatchExpertOptions.OfficialTinyFixture);
        var (missing, unexpected) = expert.load_state_dict(Seed0Tensors.ModelSubtree($"patch_experts.{index}."), strict: true);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        expert.eval();
        return expert;
    }

    internal static Tensor FusedTaps()
    {
        using var tokens = FixtureTokens.StudentView();
        return TokenMaps.Mean(tokens.Layers);
    }

    [Fact]
    public void State_dict_keys_and_shapes_match_the_reference()
    {
        using var expert = new PatchExpert(PatchExpertOptions.OfficialTinyFixture);
        var reference = Seed0Tensors.ModelSubtree("patch_experts.0.");
        var ours = expert.state_dict();
        Assert.Equal(reference.Keys.Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
        foreach (var (k, v) in reference) Assert.Equal(v.shape, ours[k].shape);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Decoder_group_maps_reproduce_the_reference(int index)
    {
        using var expert = LoadFixtureExpert(index);
        using var _ = no_grad();
        using var fused = FusedTaps();
        var maps = expert.ReconstructGroups(fused, FixtureTokens.PrefixTokens, FixtureTokens.Grid, FixtureTokens.Grid);
        Assert.Equal(2, maps.Length);
        for (int g = 0; g < 2; g++)
        {
            using var map = maps[g];
            Assert.True(Seed0Tensors.MaxAbsError(map, Seed0Tensors.Expected[$"out.patch{index}.de_map{g}"]) <= 1e-4);
        }
    }

    [Fact]
    public void Encoder_group_maps_are_the_mean_of_four_taps_without_prefix_tokens()
    {
        using var tokens = FixtureTokens.StudentView();
        int[][] groups = [[0, 1, 2, 3], [4, 5, 6, 7]];
        for (int g = 0; g < 2; g++)
        {
            using var mean = TokenMaps.Mean(groups[g].Select(i => tokens.Layers[i]).ToArray());
            using var map = TokenMaps.ToGrid(mean, FixtureTokens.PrefixTokens, FixtureTokens.Grid, FixtureTokens.Grid);
            Assert.True(Seed0Tensors.MaxAbsError(map, Seed0Tensors.Expected[$"out.patch0.en_map{g}"]) <= 1e-5);
        }
    }

    [Fact]
    public void Bottleneck_dropout_is_active_in_training_mode_only()
    {
        using var expert = new PatchExpert(new PatchExpertOptions(16, 2, DecoderDepth: 2, BottleneckDropout: 0.5, DecoderGroups: [[0], [1]]));
        using var x = randn(2, 5, 16);
        using var _ = no_grad();
        expert.eval();
        var a = expert.forward(x);
        var b = expert.forward(x);
        Assert.True(a[^1].allclose(b[^1]));
        expert.train();
        var c = expert.forward(x);
        Assert.False(a[^1].allclose(c[^1]));
    }

    [Fact]
    public void Options_reject_a_decoder_group_index_beyond_the_depth()
    {
        var bad = new PatchExpertOptions(64, 4, DecoderDepth: 4, DecoderGroups: [[0, 1], [2, 7]]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => bad.Validate());
        Assert.Contains("7", e.Message);
    }

    [Fact]
    public void Options_reject_heads_that_do_not_divide_the_width()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PatchExpertOptions(64, 5).Validate());
    }
}
