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

    [Fact]
    public void The_report_averages_each_cell_over_the_categories_where_it_is_measurable()
    {
        static CategoryEvaluation Category(string name, int[] labels, string?[] levels, Dictionary<string, float[]> scores) =>
            new(new CategoryMetrics(name, 0.5, 0.5, 0.5), labels.Length, labels.Count(l => l == 1), [], [],
                Attribution: ExpertAttribution.Compute(labels, levels, scores));
        // The second category has no logical anomalies: its logical cells are empty and do not pull the mean.
        var withLogical = Category("a", Labels, Levels, Scores());
        var structuralOnly = Category("b", [0, 1], [null, AnomalyLevels.Structural],
            new() { [ExpertLevels.Patch] = [0.5f, 0.4f], [ExpertLevels.Global] = [0.1f, 0.9f] });
        var report = new EvaluationReport("anomalymoe", "micro", [], [withLogical, structuralOnly], new CategoryMetrics("mean", 0.5, 0.5, 0.5),
            new Dictionary<string, double?>(), [], []);

        var mean = report.AttributionMean!;
        Assert.Equal(0.5, mean[ExpertLevels.Patch, AnomalyLevels.Structural]);   // (1 + 0) / 2
        Assert.Equal(0.5, mean[ExpertLevels.Global, AnomalyLevels.Structural]);  // (0 + 1) / 2
        Assert.Equal(0.25, mean[ExpertLevels.Patch, AnomalyLevels.Logical]);    // category a alone
        Assert.Equal(new[] { 3, 0, 2 }, mean.AnomalousImages);
        Assert.Contains("| patch | 0.500 | – | 0.250 |", EvaluationReportWriter.AttributionTable(report));
    }
}
