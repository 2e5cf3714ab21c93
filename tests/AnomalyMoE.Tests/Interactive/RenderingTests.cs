using AnomalyMoE.Evaluation;
using AnomalyMoE.Interactive;
using AnomalyMoE.Interactive.Charts;
using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Interactive.Tables;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;
using SkiaSharp;

namespace AnomalyMoE.Tests.Interactive;

public class RenderingTests
{
    static MapPanel Panel(int size = 16)
    {
        var rgb = Enumerable.Repeat(0.5f, size * size * 3).ToArray();
        var map = new float[size * size];
        var mask = new byte[size * size];
        for (int y = 4; y < 8; y++)
        for (int x = 4; x < 8; x++)
        {
            map[y * size + x] = 1;
            mask[y * size + x] = 1;
        }
        return new MapPanel("defect", size, size, rgb, map, mask, 0.9);
    }

    [Fact]
    public void Overlay_is_red_where_the_map_is_high_and_blue_where_it_is_low()
    {
        using var bitmap = HeatmapOverlay.Compose(Panel() with { Mask = null }, new OverlayOptions(Opacity: 1));
        var hot = bitmap.GetPixel(5, 5);
        var cold = bitmap.GetPixel(12, 12);
        Assert.True(hot.Red > 100 && hot.Green < 30 && hot.Blue < 30, $"hot pixel {hot}");
        Assert.True(cold.Blue > 100 && cold.Red < 50, $"cold pixel {cold}");
    }

    [Fact]
    public void Ground_truth_is_outlined_on_its_boundary_only()
    {
        var outline = new SKColor(OverlayOptions.Default.OutlineColor);
        using var bitmap = HeatmapOverlay.Compose(Panel());
        Assert.Equal(outline, bitmap.GetPixel(4, 5));
        Assert.Equal(outline, bitmap.GetPixel(7, 7));
        Assert.NotEqual(outline, bitmap.GetPixel(5, 5));
        Assert.NotEqual(outline, bitmap.GetPixel(10, 10));
    }

    [Fact]
    public void Grid_png_has_one_cell_per_panel_in_the_given_columns()
    {
        var png = HeatmapOverlay.RenderGridPng([Panel(), Panel(), Panel()], columns: 2, new OverlayOptions(PanelSize: 32));
        using var decoded = SKBitmap.Decode(png);
        Assert.Equal(2 * (32 + 4) + 4, decoded.Width);
        Assert.Equal(2 * (32 + 18 + 4) + 4, decoded.Height);
    }

    [Fact]
    public void Panel_with_wrong_sizes_is_rejected_by_name()
    {
        var bad = Panel() with { Map = new float[3] };
        var e = Assert.Throws<ArgumentException>(() => HeatmapOverlay.RenderPng(bad));
        Assert.Contains("defect", e.Message);
    }

    [Fact]
    public void Panels_from_a_batch_undo_the_normalisation()
    {
        TorchRuntime.EnsureLoaded();
        var norm = AnomalyMoE.Encoders.ImageNormalization.ImageNet;
        using var images = TorchSharp.torch.zeros(1, 3, 4, 4);   // normalised 0 = the mean colour
        var panel = MapPanels.FromBatch(images, norm)[0];
        Assert.Equal(norm.Mean[0], panel.Rgb[0], 5);
        Assert.Equal(norm.Mean[2], panel.Rgb[2], 5);
    }

    [Fact]
    public void Roc_area_matches_the_library_auroc()
    {
        float[] scores = [0.1f, 0.4f, 0.35f, 0.8f, 0.8f, 0.2f, 0.9f];
        int[] labels = [0, 0, 1, 1, 0, 0, 1];
        var expected = BinaryMetrics.Compute(scores, labels.Select(l => (byte)l).ToArray());
        Assert.Equal(expected.Auroc, CurveCharts.Roc("x", scores, labels).Area, 12);
        Assert.Equal(expected.AveragePrecision, CurveCharts.PrecisionRecall("x", scores, labels).Area, 12);
    }

    [Fact]
    public void Curves_need_both_classes()
    {
        Assert.Throws<AnomalyMoEException>(() => CurveCharts.Roc("x", [0.1f, 0.2f], [1, 1]));
    }

    [Fact]
    public void Routing_summary_counts_selections_and_level_shares()
    {
        var routing = new RoutingSummary([[0.5, 0, 0.5, 0], [0, 0.7, 0, 0.3]], 2, 1, 1, ["a", "b"]);
        Assert.Equal([0.5, 0.5, 0.5, 0.5], routing.SelectionRate());
        Assert.Equal(0.6, routing.LevelShare()["patch"], 12);
        Assert.Equal(["P0", "P1", "G0", "C0"], routing.ExpertNames);
        Assert.False(routing.RoutedPerLevel);
    }

    [Fact]
    public void A_heat_map_of_many_images_shows_one_row_per_image_group_with_its_mean_weights()
    {
        var labels = Enumerable.Range(0, 45).Select(i => i < 30 ? $"nut:good/{i:000}" : $"nut:crack/{i:000}").ToList();
        double[][] weights = labels.Select((_, i) => i < 30 ? new double[] { 1, 0, 1, 1 } : [0.5, 0.5, 1, 1]).ToArray();

        var html = AnomalyMoENotebook.ChartHtml(RoutingCharts.Heatmap(new RoutingSummary(weights, 2, 1, 1, labels)));

        Assert.Contains("\"nut:good (30)\"", html);
        Assert.Contains("\"nut:crack (15)\"", html);
        Assert.DoesNotContain("nut:good/000", html);
        Assert.Contains("[0.5,0.5,1.0,1.0]", html);
    }

    [Fact]
    public void A_long_panel_title_loses_its_middle_and_keeps_its_image_name_and_score()
    {
        using var font = new SKFont(SKTypeface.Default, 12);
        const string title = "FN board/wrong_color_part/003";

        var label = HeatmapOverlay.Fit(title, "  1.234", font, 140);

        Assert.True(font.MeasureText(label) <= 140);
        Assert.StartsWith("FN b", label);
        Assert.EndsWith("003  1.234", label);
        Assert.Contains("…", label);
        Assert.Equal(title + "  1.234", HeatmapOverlay.Fit(title, "  1.234", font, 1000));
    }

    [Fact]
    public void The_level_share_chart_says_when_per_level_routing_makes_every_share_one()
    {
        var perLevel = new RoutingSummary([[1, 0, 1, 1], [0.4, 0.6, 1, 1]], 2, 1, 1, ["a", "b"]);
        var acrossLevels = new RoutingSummary([[0.5, 0, 0.5, 0], [0, 0.7, 0, 0.3]], 2, 1, 1, ["a", "b"]);

        Assert.True(perLevel.RoutedPerLevel);
        Assert.Contains("routed per level", AnomalyMoENotebook.ChartHtml(RoutingCharts.LevelShare(perLevel)));
        Assert.DoesNotContain("routed per level", AnomalyMoENotebook.ChartHtml(RoutingCharts.LevelShare(acrossLevels)));
    }

    [Fact]
    public void Routing_heat_map_carries_the_weights_with_the_first_image_on_top()
    {
        var routing = new RoutingSummary([[0.5, 0, 0.5], [0, 0.7, 0.3]], 1, 1, 1, ["a", "a"]);
        var html = AnomalyMoENotebook.ChartHtml(RoutingCharts.Heatmap(routing));
        Assert.Contains("heatmap", html);
        Assert.Contains("0.7", html);
        Assert.Contains("a (2)", html);
        Assert.Contains("\"autorange\":\"reversed\"", html);
    }

    // A report with only routing shares (no categories, levels or overlays).
    static EvaluationReport RoutingReport(string[] experts, double[] shares) => new("anomalymoe", "micro", experts, [],
        new CategoryMetrics("mean", 0.9, 0.8, 0.7), new Dictionary<string, double?>(), shares, []);

    [Fact]
    public void Selection_share_chart_names_each_expert_of_the_report()
    {
        var html = AnomalyMoENotebook.ChartHtml(RoutingCharts.SelectionShare([("run", RoutingReport(["patch_0", "global_0"], [0.25, 0.75]))]));
        Assert.Contains("\"type\":\"bar\"", html);
        Assert.Contains("global_0", html);
        Assert.Contains("0.75", html);
    }

    [Fact]
    public void Selection_share_map_has_a_row_per_run_and_a_gap_where_a_run_lacks_an_expert()
    {
        var html = AnomalyMoENotebook.ChartHtml(RoutingCharts.SelectionShareMap(
            [("full", RoutingReport(["patch_0", "global_0"], [0.25, 0.75])), ("patch only", RoutingReport(["patch_0"], [1.0]))]));
        Assert.Contains("\"type\":\"heatmap\"", html);
        Assert.Contains("\"y\":[\"full\",\"patch only\"]", html);
        Assert.Contains("\"x\":[\"patch_0\",\"global_0\"]", html);
        // The missing expert is not a number, which plotly.js draws as an empty cell (not as a share of 0).
        Assert.Matches("\"z\":\\[\\[0\\.25,0\\.75\\],\\[1\\.0,(NaN|\"NaN\"|null)\\]\\]", html);
    }

    [Fact]
    public void Level_table_leaves_out_the_levels_no_run_has()
    {
        static EvaluationReport Report(double? logical) => new("anomalymoe", "micro", [], [], new CategoryMetrics("mean", 0.9, 0.8, 0.7),
            new Dictionary<string, double?> { ["structural"] = 0.8, ["component"] = null, ["logical"] = logical }, [], []);
        var frame = MetricsTables.FromLevels([("a", Report(null)), ("b", Report(0.6))]);
        Assert.Equal(["run", "structural AUROC", "logical AUROC"], frame.Columns.Select(c => c.Name));
        Assert.Null(frame["logical AUROC"][0]);
        Assert.Equal(0.6, (double)frame["logical AUROC"][1]!, 12);
    }

    [Fact]
    public void Expert_level_table_puts_each_level_alone_beside_the_fused_score_and_leaves_the_baseline_empty()
    {
        static EvaluationReport Report(double fused, params (string Level, double Auroc)[] levels)
        {
            var category = new CategoryEvaluation(new CategoryMetrics("c", fused, 0.8, 0.7), 10, 5, [], [], null,
                levels.ToDictionary(l => l.Level, l => l.Auroc));
            return new EvaluationReport("anomalymoe", "micro", [], [category], new CategoryMetrics("mean", fused, 0.8, 0.7),
                new Dictionary<string, double?>(), [], []);
        }
        var frame = MetricsTables.FromExpertLevels([("full", Report(0.5, ("patch", 0.7), ("component", 0.4))), ("baseline", Report(0.9))]);
        Assert.Equal(["run", "fused image AUROC", "patch alone", "component alone"], frame.Columns.Select(c => c.Name));
        Assert.Equal(0.7, (double)frame["patch alone"][0]!, 12);
        Assert.Null(frame["patch alone"][1]);
        Assert.Equal(0.9, (double)frame["fused image AUROC"][1]!, 12);
    }

    [Fact]
    public void Chart_html_loads_plotly_itself()
    {
        // A notebook page holds no plotly.js of its own: a fragment that only calls Plotly.newPlot draws nothing there.
        var html = AnomalyMoENotebook.ChartHtml(CurveCharts.RocChart([CurveCharts.Roc("x", [0.1f, 0.9f], [0, 1])]));
        Assert.Contains("requirejs.config", html);
        Assert.Contains("plotly-", html);
    }

    [Fact]
    public void Metrics_frame_has_a_row_per_category_and_empty_cells_for_missing_pixel_metrics()
    {
        var frame = MetricsTables.FromCategories([new CategoryMetrics("nut", 0.91234, 0.8, 0.7), new CategoryMetrics("weave", 0.5, 0.5, 0.5, 0.9, 0.4, 0.3, 0.8)]);
        Assert.Equal(2, frame.Rows.Count);
        Assert.Equal(0.9123, (double)frame["I-AUROC"][0]!, 12);
        Assert.Null(frame["P-AUROC"][0]);
        var html = MetricsTables.ToHtml(frame);
        Assert.Contains("<td>nut</td><td>0.9123</td>", html);
    }

    [Fact]
    public void Loss_curves_draw_one_panel_per_nonzero_term()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "losses.csv");
        File.WriteAllLines(path, ["iteration,lr,total,esb,eir", "0,0.001,1.5,3,0", "1,0.001,1.2,2.5,0", "2,0.001,1.0,2,0"]);
        var png = LossCurvePlot.FromCsv(path, 320, 200);
        using var decoded = SKBitmap.Decode(png.Bytes);
        Assert.Equal(2 * 320, decoded.Width);
        Assert.True(decoded.Height > 200 && decoded.Height < 2 * 200, $"height {decoded.Height}: one row of panels under a title");
    }

    [Fact]
    public void Loss_log_of_only_zero_terms_is_rejected()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "losses.csv");
        File.WriteAllLines(path, ["iteration,lr,eir", "0,0.001,0", "1,0.001,0"]);
        Assert.Throws<ArgumentException>(() => LossCurvePlot.FromCsv(path));
    }

    [Fact]
    public void Progress_lines_name_task_fraction_and_values_and_are_throttled()
    {
        var lines = new List<string>();
        var progress = new NotebookProgress(lines.Add, TimeSpan.FromHours(1));
        progress.Report(new ProgressUpdate("train", 1, 10, new Dictionary<string, double> { ["total"] = 0.5 }));
        progress.Report(new ProgressUpdate("train", 2, 10));
        progress.Report(new ProgressUpdate("train", 10, 10));
        Assert.Equal(2, lines.Count);
        Assert.StartsWith("train: 1/10 (10%)", lines[0]);
        Assert.Contains("total 0.5", lines[0]);
        Assert.StartsWith("train: 10/10 (100%)", lines[1]);
    }
}
