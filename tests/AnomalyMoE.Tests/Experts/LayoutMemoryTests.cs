using AnomalyMoE.Experts;
using AnomalyMoE.Runtime;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Experts;

public class LayoutMemoryTests
{
    const int Grid = 2, Width = 5;

    /// <summary>Six normal layouts <c>[6, 4, 5]</c> scattered around one arrangement, keyed 100..105.</summary>
    static (Tensor Layouts, long[] Keys) Normals(int seed)
    {
        manual_seed(seed);
        using var arrangement = randn(1, Grid * Grid, Width);
        using var noise = randn(6, Grid * Grid, Width) * 0.1;
        return ((arrangement + noise).contiguous(), [100, 101, 102, 103, 104, 105]);
    }

    [Fact]
    public void The_layout_is_the_token_map_pooled_to_cells_in_row_major_order()
    {
        using var map = arange(16f).view(1, 1, 4, 4);
        using var layouts = LayoutMemory.Layouts(map, 2);
        Assert.Equal(new long[] { 1, 4, 1 }, layouts.shape);
        Assert.Equal(new[] { 2.5f, 4.5f, 10.5f, 12.5f }, layouts.data<float>().ToArray());
    }

    [Fact]
    public void A_normal_the_memory_holds_is_compared_with_the_other_normals_not_with_itself()
    {
        var (normals, keys) = Normals(1);
        using var _ = normals;
        using var memory = LayoutMemory.Build(normals, keys, Grid);
        using var first = normals[0..1];
        using var asUnseen = memory.Map(first, [7]);
        using var asHeld = memory.Map(first, [keys[0]]);
        Assert.Equal(new long[] { 1, 1, Grid, Grid }, asHeld.shape);
        Assert.Equal(0f, asUnseen.max().item<float>(), 5);
        Assert.True(asHeld.max().item<float>() > 0.1f);
    }

    [Fact]
    public void A_held_frame_is_compared_only_with_the_frames_of_other_clips()
    {
        var (normals, keys) = Normals(4);
        using var _ = normals;
        // Normals 0 and 1 are near twins, as consecutive frames are; a memory told they are one clip does not match them.
        using var twin = normals.index_put_(normals[0] + 0.001, TensorIndex.Single(1));
        using var byImage = LayoutMemory.Build(normals, keys, Grid);
        using var byClip = LayoutMemory.Build(normals, keys, Grid, [0, 0, 1, 1, 2, 2]);
        using var first = normals[0..1];
        using var unseen = byClip.Map(first, [7]);
        using var twinDistance = byImage.Map(first, [keys[0]]);
        using var otherClipDistance = byClip.Map(first, [keys[0]]);
        Assert.True(twinDistance.max().item<float>() < 0.05f);
        Assert.True(otherClipDistance.max().item<float>() > 10 * twinDistance.max().item<float>());
        Assert.Equal(0f, unseen.max().item<float>(), 5);   // an image the memory does not hold is compared with every normal
    }

    [Fact]
    public void A_part_moved_into_another_cell_lights_that_cell()
    {
        var (normals, keys) = Normals(2);
        using var _ = normals;
        using var memory = LayoutMemory.Build(normals, keys, Grid);
        using var image = normals[0..1].clone();
        using var moved = image.index_put_(image[0, 3] + 2.0, TensorIndex.Single(0), TensorIndex.Single(3));
        using var map = memory.Map(image, [7]);
        var cells = map.data<float>().ToArray();
        Assert.Equal(3, Array.IndexOf(cells, cells.Max()));
        Assert.True(cells[3] > 5 * cells.Take(3).Max());
    }

    [Fact]
    public void A_saved_memory_scores_as_the_one_it_was_saved_from()
    {
        var (normals, keys) = Normals(3);
        using var _ = normals;
        using var memory = LayoutMemory.Build(normals, keys, Grid);
        var saved = memory.ToTensors();
        using var restored = LayoutMemory.FromTensors(saved, Grid, "memory.pth");
        foreach (var t in saved.Values) t.Dispose();
        using var query = randn(2, Grid * Grid, Width);
        using var expected = memory.Map(query, [101, 7]);
        using var actual = restored.Map(query, [101, 7]);
        Assert.True(expected.allclose(actual, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void One_normal_is_too_few_to_compare_with_and_the_error_says_so()
    {
        using var one = randn(1, Grid * Grid, Width);
        var error = Assert.Throws<AnomalyMoEException>(() => LayoutMemory.Build(one, [1], Grid));
        Assert.Contains("at least two normal images", error.Message);
    }

    [Fact]
    public void The_image_key_is_the_same_for_the_same_path_and_differs_between_paths()
    {
        Assert.Equal(LayoutMemory.ImageKey("/data/a/train/good/000.png"), LayoutMemory.ImageKey("/data/a/train/good/000.png"));
        Assert.NotEqual(LayoutMemory.ImageKey("/data/a/train/good/000.png"), LayoutMemory.ImageKey("/data/a/train/good/001.png"));
    }
}
