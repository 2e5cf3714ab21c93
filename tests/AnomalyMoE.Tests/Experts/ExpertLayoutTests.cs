using AnomalyMoE.Experts;
using AnomalyMoE.Model;

namespace AnomalyMoE.Tests.Experts;

public class ExpertLayoutTests
{
    [Fact]
    public void Levels_follow_the_reference_order_patch_global_component()
    {
        var layout = new ExpertLayout(1, 1, 1);
        Assert.Equal(["patch", "global", "component"], layout.Levels.Select(l => l.Name));
        Assert.Equal(ExpertLayout.LevelNames, layout.Levels.Select(l => l.Name));
        Assert.Equal(['p', 'g', 'c'], layout.Levels.Select(l => l.Letter));
    }

    [Fact]
    public void Each_level_starts_where_the_previous_one_ends()
    {
        var layout = new ExpertLayout(3, 2, 4);
        Assert.Equal((0, 3, 3), (layout.Patch.Offset, layout.Patch.Count, layout.Patch.End));
        Assert.Equal((3, 2, 5), (layout.Global.Offset, layout.Global.Count, layout.Global.End));
        Assert.Equal((5, 4, 9), (layout.Component.Offset, layout.Component.Count, layout.Component.End));
        Assert.Equal(9, layout.Total);
        Assert.Equal([3, 2, 4], layout.Counts);
    }

    [Fact]
    public void Slices_select_each_level_s_routing_weight_columns()
    {
        var layout = new ExpertLayout(3, 2, 4);
        int[] row = [10, 11, 12, 20, 21, 30, 31, 32, 33];
        Assert.Equal([10, 11, 12], row[layout.Patch.Slice]);
        Assert.Equal([20, 21], row[layout.Global.Slice]);
        Assert.Equal([30, 31, 32, 33], row[layout.Component.Slice]);
    }

    [Fact]
    public void Expert_names_count_from_zero_within_each_level_in_layout_order()
    {
        var layout = new ExpertLayout(2, 1, 2);
        Assert.Equal(["patch_0", "patch_1", "global_0", "component_0", "component_1"], layout.ExpertNames);
        Assert.Equal("global_0", layout.ExpertName(2));
        Assert.Equal(["component_0", "component_1"], layout.Component.ExpertNames);
    }

    [Fact]
    public void Parameter_prefixes_name_the_model_s_module_lists_and_the_expert_index_within_its_level()
    {
        var layout = new ExpertLayout(2, 2, 2);
        Assert.Equal(["patch_experts.", "global_experts.", "component_experts."], ExpertLayout.ParameterPrefixes);
        Assert.Equal(ExpertLayout.ParameterPrefixes, layout.Levels.Select(l => l.ParameterPrefix));
        Assert.Equal(["patch_experts.0.", "patch_experts.1.", "global_experts.0.", "global_experts.1.", "component_experts.0.", "component_experts.1."],
            Enumerable.Range(0, layout.Total).Select(layout.ParameterPrefix));
    }

    [Fact]
    public void Parameter_prefixes_match_the_model_s_state_dict_keys()
    {
        var options = AnomalyMoEOptions.OfficialTinyFixture with { Encoder = null };
        using var model = new AnomalyMoEModel(options, featureEncoder: null);
        var keys = model.state_dict().Keys.ToList();
        var layout = options.Layout;
        for (int e = 0; e < layout.Total; e++)
            Assert.Contains(keys, k => k.StartsWith(layout.ParameterPrefix(e), StringComparison.Ordinal));
        Assert.All(keys.Where(k => !k.StartsWith("gating_network.", StringComparison.Ordinal)),
            k => Assert.Contains(ExpertLayout.ParameterPrefixes, p => k.StartsWith(p, StringComparison.Ordinal)));
    }

    [Fact]
    public void A_level_with_no_experts_takes_no_place_and_has_no_names()
    {
        var layout = new ExpertLayout(2, 0, 3);
        Assert.Equal((2, 0), (layout.Global.Offset, layout.Global.Count));
        Assert.Equal(2..2, layout.Global.Slice);
        Assert.Equal(2, layout.Component.Offset);
        Assert.Equal(5, layout.Total);
        Assert.Empty(layout.Global.ExpertNames);
        Assert.Equal(["patch_0", "patch_1", "component_0", "component_1", "component_2"], layout.ExpertNames);
        Assert.Equal("component_experts.0.", layout.ParameterPrefix(2));
        Assert.False(layout.Global.Contains(2));
    }

    [Fact]
    public void Options_with_a_disabled_level_give_a_layout_without_it()
    {
        var options = AnomalyMoEOptions.OfficialTinyFixture with { PatchExperts = 0 };
        options.Validate();
        var layout = options.Layout;
        Assert.Equal([0, 2, 2], layout.Counts);
        Assert.Equal((0, 2), (layout.Global.Offset, layout.Component.Offset));
        Assert.Equal(options.TotalExperts, layout.Total);
        Assert.Equal(["global_0", "global_1", "component_0", "component_1"], layout.ExpertNames);
    }

    [Fact]
    public void Locate_gives_an_expert_s_level_and_its_index_within_the_level()
    {
        var layout = new ExpertLayout(2, 2, 2);
        var (level, index) = layout.Locate(3);
        Assert.Same(layout.Global, level);
        Assert.Equal(1, index);
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.Locate(6));
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.Locate(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.Patch.ExpertName(2));
    }

    [Fact]
    public void Level_by_name_finds_each_level_and_names_the_choices_otherwise()
    {
        var layout = new ExpertLayout(1, 2, 3);
        Assert.Same(layout.Component, layout.Level("component"));
        var e = Assert.Throws<ArgumentException>(() => layout.Level("router"));
        Assert.Contains("not patch, global or component", e.Message);
    }

    [Fact]
    public void Negative_counts_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExpertLayout(-1, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExpertLayout(2, -1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExpertLayout(2, 2, -1));
    }

    [Fact]
    public void Keeping_empties_the_rejected_levels_and_moves_the_later_offsets_up()
    {
        var kept = new ExpertLayout(3, 2, 4).Keeping(l => l.Letter != 'p');
        Assert.Equal(new ExpertLayout(0, 2, 4), kept);
        Assert.Equal((0, 2), (kept.Global.Offset, kept.Component.Offset));
        var options = AnomalyMoEOptions.Paper.WithLayout(kept);
        Assert.Equal((0, 2, 4), (options.PatchExperts, options.GlobalExperts, options.ComponentExperts));
    }

    [Fact]
    public void A_report_s_expert_names_give_back_its_layout()
    {
        var layout = new ExpertLayout(2, 0, 3);
        Assert.Equal(layout, ExpertLayout.FromExpertNames(layout.ExpertNames));
        Assert.Equal(1, ExpertLayout.LevelIndexOf("global_4"));
        Assert.Equal(-1, ExpertLayout.LevelIndexOf("patchcore"));
    }

    [Fact]
    public void Layouts_of_equal_counts_are_equal_and_print_their_counts()
    {
        Assert.Equal(new ExpertLayout(6, 6, 6), AnomalyMoEOptions.Paper.Layout);
        Assert.NotEqual(new ExpertLayout(6, 6, 5), AnomalyMoEOptions.Paper.Layout);
        Assert.Equal("2 patch + 0 global + 1 component", new ExpertLayout(2, 0, 1).ToString());
    }
}
