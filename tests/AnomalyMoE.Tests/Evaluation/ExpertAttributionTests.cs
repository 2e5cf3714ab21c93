using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Tests.Evaluation;

public class ExpertAttributionTests
{
    // Two normal images, two structural and two logical anomalies: the patch level ranks only the structural ones above the
    // normals, the global level only the logical ones.
    static readonly int[] Labels = [0, 0, 1, 1, 1, 1];
    static readonly string?[] Levels = [null, null, AnomalyLevels.Structural, AnomalyLevels.Structural, AnomalyLevels.Logical, AnomalyLevels.Logical];

    static Dictionary<string, float[]> Scores() => new()
    {
        [ExpertLevels.Patch] = [0.1f, 0.2f, 0.9f, 0.8f, 0.15f, 0.05f],
        [ExpertLevels.Global] = [0.3f, 0.4f, 0.2f, 0.1f, 0.9f, 0.7f],
    };

    [Fact]
    public void Each_cell_scores_the_normals_against_one_anomaly_level_with_one_expert_level()
    {
        var table = ExpertAttribution.Compute(Labels, Levels, Scores());
        Assert.Equal(1.0, table[ExpertLevels.Patch, AnomalyLevels.Structural]);
        Assert.Equal(0.25, table[ExpertLevels.Patch, AnomalyLevels.Logical]);   // 0.15 beats 0.1 only
        Assert.Equal(0.0, table[ExpertLevels.Global, AnomalyLevels.Structural]);
        Assert.Equal(1.0, table[ExpertLevels.Global, AnomalyLevels.Logical]);
    }

    [Fact]
    public void A_level_without_anomalies_has_empty_cells_and_absent_experts_have_no_row()
    {
        var table = ExpertAttribution.Compute(Labels, Levels, Scores());
        Assert.Null(table[ExpertLevels.Patch, AnomalyLevels.Component]);
        Assert.Equal(new[] { 2, 0, 2 }, table.AnomalousImages);   // structural, component, logical
        Assert.Equal([ExpertLevels.Patch, ExpertLevels.Global], table.ExpertLevels);
        Assert.Throws<ArgumentException>(() => table[ExpertLevels.Component, AnomalyLevels.Logical]);
    }

    [Fact]
    public void Rows_follow_patch_component_global_whatever_order_the_scores_come_in()
    {
        var scores = new Dictionary<string, float[]> { [ExpertLevels.Global] = Scores()[ExpertLevels.Global], [ExpertLevels.Component] = Scores()[ExpertLevels.Patch],
            [ExpertLevels.Patch] = Scores()[ExpertLevels.Patch] };
        Assert.Equal(ExpertAttribution.RowOrder, ExpertAttribution.Compute(Labels, Levels, scores).ExpertLevels);
    }

    [Fact]
    public void Scores_of_the_wrong_length_are_rejected_by_level_name()
    {
        var scores = Scores();
        scores[ExpertLevels.Global] = [0.1f];
        var e = Assert.Throws<AnomalyMoEException>(() => ExpertAttribution.Compute(Labels, Levels, scores));
        Assert.Contains("global", e.Message);
    }

    [Fact]
    public void Loco_folders_stand_for_levels_when_no_metadata_gives_one()
    {
        var logical = new ImageRecord("/x/a.png", "mvtec_loco", "box", DatasetSplit.Test, LocoSpro.Logical, null);
        Assert.Equal(AnomalyLevels.Logical, ExpertAttribution.LevelOf(logical));
        Assert.Equal(AnomalyLevels.Component, ExpertAttribution.LevelOf(logical with { Level = AnomalyLevels.Component }));
        Assert.Null(ExpertAttribution.LevelOf(logical with { DefectType = "scratch" }));
    }
}
