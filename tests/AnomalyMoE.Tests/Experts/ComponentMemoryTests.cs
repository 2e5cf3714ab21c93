using AnomalyMoE.Experts;
using AnomalyMoE.Runtime;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Experts;

public class ComponentMemoryTests
{
    const int Components = 3, Width = 6;

    /// <summary>Six normals' component features <c>[6, 3, 6]</c> scattered around one set of parts, keyed 100..105.</summary>
    static (Tensor Features, long[] Keys) Normals(int seed)
    {
        manual_seed(seed);
        using var parts = randn(1, Components, Width);
        using var noise = randn(6, Components, Width) * 0.1;
        return ((parts + noise).contiguous(), [100, 101, 102, 103, 104, 105]);
    }

    [Fact]
    public void A_normal_the_memory_holds_is_compared_with_the_other_normals_not_with_itself()
    {
        var (normals, keys) = Normals(1);
        using var _ = normals;
        using var memory = ComponentMemory.Build(normals, keys);
        using var first = normals[0];
        using var asUnseen = memory.Scores(first, 7);
        using var asHeld = memory.Scores(first, keys[0]);
        Assert.Equal(new long[] { Components }, asHeld.shape);
        Assert.Equal(0f, asUnseen.max().item<float>(), 5);
        Assert.True(asHeld.min().item<float>() > 0.1f);
    }

    [Fact]
    public void A_held_frame_is_compared_only_with_the_frames_of_other_clips()
    {
        var (normals, keys) = Normals(4);
        using var _ = normals;
        using var twin = normals.index_put_(normals[0] + 0.001, TensorIndex.Single(1));
        using var byImage = ComponentMemory.Build(normals, keys);
        using var byClip = ComponentMemory.Build(normals, keys, [0, 0, 1, 1, 2, 2]);
        using var first = normals[0];
        using var twinDistance = byImage.Scores(first, keys[0]);
        using var otherClipDistance = byClip.Scores(first, keys[0]);
        Assert.True(twinDistance.max().item<float>() < 0.05f);
        Assert.True(otherClipDistance.min().item<float>() > 10 * twinDistance.max().item<float>());
    }

    [Fact]
    public void A_part_no_normal_shows_scores_above_the_parts_every_normal_shows()
    {
        var (normals, keys) = Normals(2);
        using var _ = normals;
        using var memory = ComponentMemory.Build(normals, keys);
        using var image = normals[0].clone();
        using var wrong = image.index_put_(image[1] + 2.0, TensorIndex.Single(1));
        var scores = memory.Scores(image, 7).data<float>().ToArray();
        Assert.Equal(1, Array.IndexOf(scores, scores.Max()));
        Assert.True(scores[1] > 5 * Math.Max(scores[0], scores[2]));
    }

    [Fact]
    public void Features_of_another_shape_and_a_single_sequence_are_refused_by_name()
    {
        var (normals, keys) = Normals(3);
        using var _ = normals;
        Assert.Contains("two sequences", Assert.Throws<AnomalyMoEException>(() => ComponentMemory.Build(normals, keys, [0, 0, 0, 0, 0, 0])).Message);
        using var memory = ComponentMemory.Build(normals, keys);
        using var twoParts = randn(2, Width);
        Assert.Contains("do not match", Assert.Throws<AnomalyMoEException>(() => memory.Scores(twoParts, 7)).Message);
    }
}
