using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Interactive.Domains;
using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Synthetic;
using AnomalyMoE.Tests.Notebooks;
using AnomalyMoE.Tests.Support;
using Microsoft.Data.Analysis;

namespace AnomalyMoE.Tests.Interactive;

/// <summary>
/// A synthetic family trained for one iteration and evaluated, as the domain notebooks use it: its first category, or every
/// category in one unified model.
/// </summary>
public sealed class TrainedStudy : IDisposable
{
    readonly TempDirectory work = new();
    public NotebookStudy Study { get; }
    public StudyEvaluation Evaluation { get; }

    public TrainedStudy(string family, bool allCategories = false)
    {
        Study = NotebookStudy.Create(StudyOptions.Fast with { Family = family, Iterations = 1, WorkDirectory = work.Path, AllCategories = allCategories });
        Study.Train();
        Evaluation = Study.Evaluate(overlaysPerSide: 0);
    }

    public void Dispose()
    {
        Evaluation.Dispose();
        Study.Dispose();
        work.Dispose();
    }
}

[Collection(NotebookCollection.Name)]
public class LogicalViewsTests : IClassFixture<LogicalViewsTests.Logical>
{
    public sealed class Logical() : IDisposable
    {
        public TrainedStudy Run { get; } = new(SyntheticFamilies.Logical);
        public void Dispose() => Run.Dispose();
    }

    readonly TrainedStudy run;
    public LogicalViewsTests(Logical fixture) => run = fixture.Run;

    static DataFrame Frame(NotebookView view) => Assert.IsType<DataFrame>(view.Content);

    [Fact]
    public void Logical_and_structural_columns_count_the_test_images_of_each_kind()
    {
        var records = run.Evaluation.Predictions.Records;
        int logical = records.Count(r => r.Level == AnomalyLevels.Logical), structural = records.Count(r => r.Level == AnomalyLevels.Structural);
        Assert.True(logical > 0 && structural > 0, "the synthetic logical family holds both kinds");
        var names = Frame(LogicalViews.LogicalVersusStructural(run.Study, run.Evaluation)).Columns.Select(c => c.Name).ToList();
        Assert.Contains($"logical I-AUROC (n={logical})", names);
        Assert.Contains($"structural I-AUROC (n={structural})", names);
    }

    [Fact]
    public void AUC_sPRO_is_measured_on_the_synthetic_masks()
    {
        var report = LogicalViews.Report(run.Study, run.Evaluation);
        var auc = report.AucSproAll[LocoSpro.DefaultMaxFpr];
        Assert.True(double.IsFinite(auc), $"AUC-sPRO {auc}");
        Assert.Equal(Math.Round(auc, 4), (double?)Frame(LogicalViews.AucSpro(run.Study, run.Evaluation)).Columns["AUC-sPRO@0.05"][0]);
    }

    [Fact]
    public void The_attribution_table_has_one_row_per_expert_level_the_run_scored()
    {
        var frame = Frame(LogicalViews.Attribution(run.Evaluation));
        var levels = run.Evaluation.Predictions.ExpertLevelScores.Keys.ToHashSet();
        Assert.Equal(ExpertAttribution.RowOrder.Where(levels.Contains), frame.Columns[0].Cast<string>());
        var table = LogicalViews.AttributionOf(run.Evaluation);
        Assert.NotNull(table[table.ExpertLevels[0], AnomalyLevels.Logical]);
        Assert.Null(table[table.ExpertLevels[0], AnomalyLevels.Component]);   // the logical family has no component anomalies
    }

    [Fact]
    public void The_level_maps_show_a_logical_anomaly_beside_each_level_and_the_fused_map()
    {
        using var model = run.Study.TrainedModel();
        var view = LogicalViews.LevelMapsOfLogicalAnomaly(run.Study, run.Evaluation, model);
        var gallery = Assert.IsType<MapGallery>(view.Content);
        int levels = run.Evaluation.Predictions.ExpertLevelScores.Count;
        Assert.Equal(2 + levels, gallery.Panels.Count);
        Assert.Null(gallery.Panels[0].Map);
        Assert.All(gallery.Panels.Skip(1), p => Assert.NotNull(p.Map));
        Assert.Equal("fused map", gallery.Panels[^1].Title);
        Assert.Contains("<img src=\"data:image/png;base64,", view.ToHtml());
    }

    [Fact]
    public void The_closing_comparison_shows_the_fused_and_each_level_alone_then_the_top_anomaly_under_every_map()
    {
        using var model = run.Study.TrainedModel();
        var view = TeachingViews.FusedAgainstLevels(run.Study, run.Evaluation, model);

        var parts = Assert.IsAssignableFrom<IEnumerable<object>>(view.Content).ToList();
        var table = Assert.IsType<DataFrame>(parts[0]);
        Assert.Equal(Math.Round(run.Evaluation.Report.Mean.ImageAuroc, 4), (double?)table.Columns["fused image AUROC"][0]);
        Assert.Equal(Math.Round(run.Evaluation.Report.ExpertLevelMeans.First(kv => kv.Key == ExpertLevels.Patch).Value, 4), (double?)table.Columns["patch alone"][0]);
        var gallery = Assert.IsType<MapGallery>(parts[1]);
        var top = run.Evaluation.Predictions.Records.Where(r => r.IsAnomalous).MaxBy(r => run.Evaluation.Scores[run.Evaluation.Predictions.Records.ToList().IndexOf(r)])!;
        Assert.StartsWith($"{top.DefectType}/{Path.GetFileNameWithoutExtension(top.Path)}", gallery.Panels[0].Title);
        Assert.Equal(2 + run.Evaluation.Predictions.ExpertLevelScores.Count, gallery.Panels.Count);
    }

    [Fact]
    public void Encoder_taps_show_every_tapped_layer_over_every_image()
    {
        using var batch = run.Study.LoadBatch(run.Study.TestSamples(normal: 1, anomalous: 2));
        var view = TeachingViews.EncoderTaps(batch, run.Study.Preset.Model.TapLayers);
        var galleries = Assert.IsAssignableFrom<IEnumerable<object>>(view.Content).Cast<MapGallery>().ToList();
        Assert.Equal(batch.Tokens.Layers.Count, galleries.Count);
        Assert.All(galleries, g => Assert.Equal(batch.Count, g.Panels.Count));
        Assert.Contains($"layer {run.Study.Preset.Model.TapLayers[^1]}", galleries[^1].Caption);
        Assert.NotEqual(galleries[0].Panels[0].Map, galleries[^1].Panels[0].Map);
    }

    [Fact]
    public void Expert_maps_are_each_experts_own_error_and_their_routed_sum_is_the_level_map()
    {
        using var batch = run.Study.LoadBatch(run.Study.TestSamples(normal: 1, anomalous: 2));
        using var model = run.Study.TrainedModel(everyExpert: true);
        using var inspection = run.Study.Inspect(model, batch);
        var layout = model.Model.Options.Layout;
        Assert.Equal(layout.Patch.ExpertNames.Concat(layout.Global.ExpertNames), inspection.ExpertMaps.Select(e => e.Expert).Take(layout.Patch.Count + layout.Global.Count));
        // The level map is the router-weighted sum of its experts' maps.
        using var weights = TorchSharp.torch.tensor(inspection.Routing.Weights.SelectMany(w => w).Select(v => (float)v).ToArray())
            .view(batch.Count, layout.Total);
        using var sum = TorchSharp.torch.zeros_like(inspection.LevelMaps.Patch!);
        for (int i = 0; i < layout.Patch.Count; i++)
            sum.add_(inspection.ExpertMaps[i].Map * weights[.., layout.Patch.Offset + i].view(-1, 1, 1, 1));
        Assert.True(sum.allclose(inspection.LevelMaps.Patch!, rtol: 1e-4, atol: 1e-5));

        var view = TeachingViews.ExpertMaps(inspection, batch);
        var galleries = Assert.IsAssignableFrom<IEnumerable<object>>(view.Content).Cast<MapGallery>().ToList();
        Assert.Equal(layout.Patch.Count * batch.Count, galleries[0].Panels.Count);
        int routedPanels = galleries[0].Panels.Count(p => p.Title.Contains('*'));
        Assert.Equal(inspection.Routing.Weights.Sum(w => w.Skip(layout.Patch.Offset).Take(layout.Patch.Count).Count(v => v > 0)), routedPanels);
    }

    [Fact]
    public void The_job_array_holds_one_task_per_grid_variant_and_the_baseline_and_leaves_preset_variants_out()
    {
        StudyVariant[] variants = [StudyVariant.Full, new("patch only", "levels=p"), new("no ESB", "esb=off"), new("larger", Preset: "cpu-small")];

        var view = AblationViews.JobArray(run.Study, variants);

        var tasks = global::AnomalyMoE.Training.Switches.AblationPlan.Read(run.Study.AblationDirectory + "-plan");
        Assert.Equal(["default", "levels-p", "esb-off", "patchcore"], tasks.Select(t => t.Name));
        var blocks = Assert.IsAssignableFrom<IEnumerable<object>>(view.Content).Cast<Preformatted>().ToList();
        Assert.Contains("Left out (a plan keeps one preset): larger.", blocks[0].Text);
        Assert.Contains("#SBATCH --array=0-3", blocks[1].Text);
        Assert.Contains("--resume", blocks[2].Text);
        Assert.Contains("<pre>", view.ToHtml());
    }
}

[Collection(NotebookCollection.Name)]
public class VideoViewsTests : IClassFixture<VideoViewsTests.Video>
{
    public sealed class Video() : IDisposable
    {
        public TrainedStudy Run { get; } = new(SyntheticFamilies.Video);
        public void Dispose() => Run.Dispose();
    }

    readonly TrainedStudy run;
    public VideoViewsTests(Video fixture) => run = fixture.Run;

    // The fast setting's 10 test images: 4 normal frames, then 3 cyclist and 3 vehicle frames, in clips of 8 frames.
    [Fact]
    public void Synthetic_frames_fall_into_clips_of_consecutive_test_images()
    {
        var frames = VideoViews.Frames(run.Study, run.Evaluation);
        Assert.Equal(run.Evaluation.Predictions.Records.Count, frames.Count);
        Assert.Equal(["00", "01"], frames.Select(f => f.Clip).Distinct());
        var first = frames.Where(f => f.Clip == "00").ToList();
        Assert.Equal(Enumerable.Range(0, 8).Select(i => i.ToString()), first.Select(f => f.Frame));
        Assert.Equal([false, false, false, false, true, true, true, true], first.Select(f => f.Anomalous));
        Assert.All(frames.Where(f => f.Clip == "01"), f => Assert.True(f.Anomalous));
    }

    [Fact]
    public void The_frame_AUROC_view_reports_the_pooled_frame_AUROC()
    {
        var frames = VideoViews.Frames(run.Study, run.Evaluation);
        var frame = Assert.IsType<DataFrame>(VideoViews.FrameAuroc(run.Study, run.Evaluation).Content);
        Assert.Equal(Math.Round(FrameLevelAuroc.Pooled(frames), 4), (double?)frame.Columns["frame AUROC"][0]);
        Assert.Equal(2.0, (double?)frame.Columns["clips"][0]);
    }

    [Fact]
    public void The_timeline_and_the_top_frame_render_as_pictures()
    {
        Assert.IsType<PngImage>(VideoViews.Timeline(run.Study, run.Evaluation).Content);
        var top = Assert.IsType<MapGallery>(VideoViews.TopFrame(run.Study, run.Evaluation).Content);
        Assert.Equal(2, top.Panels.Count);
        Assert.Equal(run.Evaluation.Scores.Max(), top.Panels[1].Score!.Value, 5);
    }
}

[Collection(NotebookCollection.Name)]
public class IndustrialViewsTests : IClassFixture<IndustrialViewsTests.Industrial>
{
    public sealed class Industrial() : IDisposable
    {
        public TrainedStudy Run { get; } = new(SyntheticFamilies.Industrial);
        public void Dispose() => Run.Dispose();
    }

    readonly TrainedStudy run;
    public IndustrialViewsTests(Industrial fixture) => run = fixture.Run;

    [Fact]
    public void Worst_errors_show_the_highest_scored_normals_then_the_lowest_scored_anomalies_tagged_at_the_threshold()
    {
        var p = run.Evaluation.Predictions;
        var (threshold, which) = IndustrialViews.Threshold(run.Evaluation);
        Assert.Equal("calibrated", which);   // the notebook presets calibrate a threshold on the training images
        var gallery = Assert.IsType<MapGallery>(IndustrialViews.WorstErrors(run.Study, run.Evaluation, perSide: 2).Content);
        Assert.Equal(4, gallery.Panels.Count);
        var normalScores = p.Records.Select((r, i) => (r, s: (double)p.Scores[i])).Where(x => !x.r.IsAnomalous).Select(x => x.s).OrderDescending().ToList();
        Assert.Equal(normalScores[0], gallery.Panels[0].Score!.Value, 5);
        Assert.StartsWith(normalScores[0] > threshold ? "FP " : "TN ", gallery.Panels[0].Title);
        var anomalyScores = p.Records.Select((r, i) => (r, s: (double)p.Scores[i])).Where(x => x.r.IsAnomalous).Select(x => x.s).Order().ToList();
        Assert.Equal(anomalyScores[0], gallery.Panels[2].Score!.Value, 5);
        Assert.StartsWith(anomalyScores[0] > threshold ? "TP " : "FN ", gallery.Panels[2].Title);
    }

    [Fact]
    public void Pixel_metrics_sit_beside_pixel_AUROC_with_the_share_of_anomalous_pixels()
    {
        var view = IndustrialViews.PixelMetrics(run.Study, run.Evaluation);
        var frame = Assert.IsType<DataFrame>(view.Content);
        Assert.Equal(Math.Round(run.Evaluation.Metrics.PixelAuroc!.Value, 4), (double?)frame.Columns["P-AUROC"][0]);
        Assert.Equal(Math.Round(run.Evaluation.Metrics.PixelAupro!.Value, 4), (double?)frame.Columns["AUPRO@0.3"][0]);
        Assert.Matches(@"only \d+(\.\d)?\s?% of the test pixels are anomalous", view.Note);
    }

    [Fact]
    public void Per_category_views_have_one_row_per_evaluated_category_and_a_chart()
    {
        var frame = Assert.IsType<DataFrame>(IndustrialViews.PerCategoryTable(run.Evaluation).Content);
        Assert.Equal(run.Evaluation.Report.Categories.Count, frame.Rows.Count);
        Assert.IsType<PngImage>(IndustrialViews.PerCategoryBars(run.Evaluation).Content);
    }
}

/// <summary>Notebook 01's setting: one unified model on every category of the synthetic industrial family.</summary>
[Collection(NotebookCollection.Name)]
public class UnifiedIndustrialViewsTests : IClassFixture<UnifiedIndustrialViewsTests.Unified>
{
    public sealed class Unified() : IDisposable
    {
        public TrainedStudy Run { get; } = new(SyntheticFamilies.Industrial, allCategories: true);
        public void Dispose() => Run.Dispose();
    }

    readonly TrainedStudy run;
    public UnifiedIndustrialViewsTests(Unified fixture) => run = fixture.Run;

    static readonly string[] Family = SyntheticFamilies.Categories(SyntheticFamilies.Industrial).Select(c => c.Name).ToArray();

    [Fact]
    public void The_study_trains_one_model_on_every_category_of_the_family()
    {
        Assert.Equal(Family, run.Study.Categories.Select(c => c.Category));
        Assert.Equal(Family, run.Study.Config.Data.Single().Categories);
        Assert.Contains($"--categories {string.Join(",", Family)} ", run.Study.Commands.Single(c => c.StartsWith("amoe train", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_single_category_accessor_refuses_a_study_of_several() =>
        Assert.Contains("use Categories", Assert.Throws<InvalidOperationException>(() => run.Study.Category).Message);

    [Fact]
    public void The_evaluation_holds_each_categorys_predictions_apart()
    {
        var each = run.Evaluation.PerCategory;
        Assert.Equal(Family, each.Select(e => e.Category.Metrics.Category.Split('/')[1]));
        Assert.All(each, e => Assert.All(e.Predictions.Records, r => Assert.Equal(e.Category.Metrics.Category.Split('/')[1], r.Category)));
        Assert.Equal(run.Study.Categories.Sum(c => c.Test.Count()), each.Sum(e => e.Predictions.Records.Count));
        Assert.Same(each[1], run.Evaluation.Of(Family[1]));
    }

    [Fact]
    public void The_per_category_table_has_one_row_per_category_then_the_mean()
    {
        var frame = Assert.IsType<DataFrame>(IndustrialViews.PerCategoryTable(run.Evaluation).Content);
        var rows = frame.Columns[0].Cast<string>().ToList();
        Assert.Equal(Family.Select(c => $"AnomalyMoE · industrial/{c}").Append("AnomalyMoE · mean"), rows);
        Assert.Equal(Math.Round(run.Evaluation.Report.Mean.ImageAuroc, 4), (double?)frame.Columns["I-AUROC"][Family.Length]);
    }

    [Fact]
    public void The_per_category_bars_are_labelled_with_the_category_names()
    {
        var (groups, series) = IndustrialViews.PerCategoryBarData(run.Evaluation);
        Assert.Equal(Family, groups);
        Assert.Equal(run.Evaluation.PerCategory.Select(e => (double?)e.Metrics.ImageAuroc), series[0].Values);
        Assert.IsType<PngImage>(IndustrialViews.PerCategoryBars(run.Evaluation).Content);
    }

    [Fact]
    public void Worst_errors_of_a_unified_run_rank_every_category_by_the_margin_over_its_own_threshold()
    {
        var margins = run.Evaluation.PerCategory.SelectMany(e =>
        {
            var (threshold, _) = IndustrialViews.Threshold(e);
            return e.Predictions.Records.Select((r, i) => (r, Margin: e.Predictions.Scores[i] - threshold));
        }).ToList();
        var view = IndustrialViews.WorstErrors(run.Study, run.Evaluation, perSide: 2);
        var gallery = Assert.IsType<MapGallery>(view.Content);
        Assert.Equal(4, gallery.Panels.Count);
        var worstNormal = margins.Where(x => !x.r.IsAnomalous).MaxBy(x => x.Margin);
        var weakestAnomaly = margins.Where(x => x.r.IsAnomalous).MinBy(x => x.Margin);
        Assert.StartsWith($"{(worstNormal.Margin > 0 ? "FP" : "TN")} {worstNormal.r.Category}/{worstNormal.r.DefectType}/", gallery.Panels[0].Title);
        Assert.StartsWith($"{(weakestAnomaly.Margin > 0 ? "TP" : "FN")} {weakestAnomaly.r.Category}/{weakestAnomaly.r.DefectType}/", gallery.Panels[2].Title);
        Assert.Contains("each category's calibrated threshold", view.Title);
        Assert.Contains($"{margins.Count(x => !x.r.IsAnomalous && x.Margin > 0)} false positives", view.Note);
    }

    [Fact]
    public void Test_samples_are_shared_out_over_the_categories_normal_images_first()
    {
        var samples = run.Study.TestSamples(normal: 3, anomalous: 6);
        Assert.Equal(Family, samples.Take(3).Select(r => r.Category));
        Assert.All(samples.Take(3), r => Assert.False(r.IsAnomalous));
        Assert.All(Family, c => Assert.Equal(2, samples.Skip(3).Count(r => r.Category == c && r.IsAnomalous)));
    }

    [Fact]
    public void Maps_of_samples_from_several_categories_come_from_each_categorys_predictions()
    {
        var samples = run.Study.TestSamples(normal: 3, anomalous: 3);
        var (maps, scores) = run.Evaluation.For(samples);
        using (maps)
        {
            Assert.Equal(samples.Count, (int)maps.shape[0]);
            for (int i = 0; i < samples.Count; i++)
            {
                var set = run.Evaluation.Of(samples[i].Category).Predictions;
                int at = set.Records.ToList().FindIndex(r => r.Path == samples[i].Path);
                Assert.Equal(set.Scores[at], scores[i], 5);
            }
        }
    }
}

[Collection(NotebookCollection.Name)]
public class MedicalViewsTests : IClassFixture<MedicalViewsTests.Medical>
{
    public sealed class Medical() : IDisposable
    {
        public TrainedStudy Run { get; } = new(SyntheticFamilies.Medical);
        public void Dispose() => Run.Dispose();
    }

    readonly TrainedStudy run;
    public MedicalViewsTests(Medical fixture) => run = fixture.Run;

    [Fact]
    public void Gray_is_the_luminance_in_every_channel()
    {
        var gray = MedicalViews.Gray([1, 0, 0, 0, 0, 1]);
        Assert.Equal([0.299f, 0.299f, 0.299f, 0.114f, 0.114f, 0.114f], gray);
    }

    [Fact]
    public void Slices_are_grayscale_with_the_lesion_outlined_in_red()
    {
        var gallery = Assert.IsType<MapGallery>(MedicalViews.Slices(run.Study, normal: 1, anomalous: 2).Content);
        Assert.Equal(3, gallery.Panels.Count);
        Assert.All(gallery.Panels, p => Assert.True(p.Rgb.Chunk(3).All(c => c[0] == c[1] && c[1] == c[2]), $"{p.Title} is not gray"));
        Assert.All(gallery.Panels.Skip(1), p => Assert.Contains(p.Mask!, b => b != 0));
        Assert.Equal(MedicalViews.LesionOutline, gallery.Options!.OutlineColor);
    }

    [Fact]
    public void Per_subset_rows_are_the_subset_then_each_anomaly_type()
    {
        var frame = Assert.IsType<DataFrame>(MedicalViews.PerSubset(run.Evaluation).Content);
        var types = run.Evaluation.Predictions.Records.Where(r => r.IsAnomalous).Select(r => r.DefectType).Distinct().Count();
        Assert.Equal(1 + types, frame.Rows.Count);
        Assert.Equal(Math.Round(run.Evaluation.Metrics.ImageAuroc, 4), (double?)frame.Columns[1][0]);
    }

    [Fact]
    public void Sensitivity_is_read_at_the_asked_specificity()
    {
        var frame = Assert.IsType<DataFrame>(MedicalViews.Sensitivity(0.95, run.Evaluation).Content);
        var point = OperatingPoint.AtSpecificity(run.Evaluation.Scores, run.Evaluation.Labels, 0.95);
        Assert.Equal(Math.Round(point.Sensitivity, 4), (double?)frame.Columns["sensitivity at 95% specificity"][0]);
        Assert.NotNull(frame.Columns["sensitivity at calibrated threshold"][0]);
    }

    [Fact]
    public void A_subset_with_masks_says_so_and_names_its_pixel_metrics()
    {
        var frame = Assert.IsType<DataFrame>(MedicalViews.Annotation(run.Study, run.Evaluation).Content);
        Assert.Equal("yes", frame.Columns[1][1]);
        Assert.Contains("AUPRO", (string)frame.Columns[2][1]);
    }

    [Fact]
    public void A_subset_with_image_labels_only_trains_scores_and_leaves_pixel_metrics_empty()
    {
        // The synthetic subset without its ground_truth folder, as BMAD's label-only subsets come.
        using var labelsOnly = new TempDirectory();
        var source = Path.Combine(run.Study.DataRoot, run.Study.CategoryName);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
                     .Where(f => !Path.GetRelativePath(source, f).StartsWith("ground_truth", StringComparison.Ordinal)))
        {
            var target = labelsOnly.Combine(run.Study.CategoryName, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        using var study = NotebookStudy.Create(StudyOptions.Fast with { DataRoot = labelsOnly.Path, Iterations = 1, WorkDirectory = labelsOnly.Combine("work") });
        study.Train();
        using var evaluation = study.Evaluate(overlaysPerSide: 0);

        Assert.False(study.Category.HasPixelMasks);
        Assert.True(double.IsFinite(evaluation.Metrics.ImageAuroc));
        Assert.Null(evaluation.Metrics.PixelAuroc);
        var frame = Assert.IsType<DataFrame>(MedicalViews.Annotation(study, evaluation).Content);
        Assert.Equal("no", frame.Columns[1][1]);
        var gallery = Assert.IsType<MapGallery>(MedicalViews.Slices(study, normal: 1, anomalous: 2).Content);
        Assert.All(gallery.Panels, p => Assert.True(p.Mask is null || p.Mask.All(b => b == 0), $"{p.Title} has a lesion outline"));
    }
}

/// <summary>Notebook 04's setting: one unified model on both synthetic BMAD-like subsets, evaluated per subset.</summary>
[Collection(NotebookCollection.Name)]
public class UnifiedMedicalViewsTests : IClassFixture<UnifiedMedicalViewsTests.Unified>
{
    public sealed class Unified() : IDisposable
    {
        public TrainedStudy Run { get; } = new(SyntheticFamilies.Medical, allCategories: true);
        public void Dispose() => Run.Dispose();
    }

    readonly TrainedStudy run;
    public UnifiedMedicalViewsTests(Unified fixture) => run = fixture.Run;

    static readonly string[] Subsets = SyntheticFamilies.Categories(SyntheticFamilies.Medical).Select(c => c.Name).ToArray();

    [Fact]
    public void Per_subset_rows_are_each_subset_then_its_anomaly_types()
    {
        var rows = Assert.IsType<DataFrame>(MedicalViews.PerSubset(run.Evaluation).Content).Columns[0].Cast<string>().ToList();
        var expected = run.Evaluation.PerCategory.SelectMany(e => e.Predictions.Records.Where(r => r.IsAnomalous).Select(r => r.DefectType)
            .Distinct().Order(StringComparer.Ordinal).Select(t => $"  {t} (n={e.Predictions.Records.Count(r => r.DefectType == t)})")
            .Prepend($"{e.Category.Metrics.Category} (all anomalies)"));
        Assert.Equal(expected, rows);
        Assert.Equal(Subsets.Length, rows.Count(r => r.EndsWith("(all anomalies)", StringComparison.Ordinal)));
    }

    [Fact]
    public void Sensitivity_has_one_row_per_subset_read_on_that_subsets_scores_alone()
    {
        var frame = Assert.IsType<DataFrame>(MedicalViews.Sensitivity(0.95, run.Evaluation).Content);
        Assert.Equal(Subsets.Select(s => $"AnomalyMoE · {s}"), frame.Columns[0].Cast<string>());
        for (int k = 0; k < Subsets.Length; k++)
        {
            var subset = run.Evaluation.Of(Subsets[k]);
            var point = OperatingPoint.AtSpecificity(subset.Scores, subset.Labels, 0.95);
            Assert.Equal(Math.Round(point.Sensitivity, 4), (double?)frame.Columns["sensitivity at 95% specificity"][k]);
            Assert.Equal(Math.Round(subset.Metrics.ImageAuroc, 4), (double?)frame.Columns["I-AUROC"][k]);
        }
    }

    [Fact]
    public void The_annotation_table_has_a_column_per_subset()
    {
        var frame = Assert.IsType<DataFrame>(MedicalViews.Annotation(run.Study, run.Evaluation).Content);
        Assert.Equal(Subsets.Prepend("annotation").Append("metrics it allows"), frame.Columns.Select(c => c.Name));
        Assert.All(Subsets, s => Assert.Equal("yes", frame.Columns[s][1]));   // the synthetic subsets all have masks
    }

    [Fact]
    public void Slices_come_from_every_subset()
    {
        var gallery = Assert.IsType<MapGallery>(MedicalViews.Slices(run.Study, normal: 2, anomalous: 2).Content);
        var records = run.Study.TestSamples(normal: 2, anomalous: 2);
        Assert.Equal(4, gallery.Panels.Count);
        Assert.Equal(Subsets, records.Select(r => r.Category).Distinct());
    }
}

[Collection(NotebookCollection.Name)]
public class ThreeDViewsTests : IClassFixture<ThreeDViewsTests.ThreeD>
{
    /// <summary>The synthetic 3d family and its depth sibling, each trained for one iteration and evaluated.</summary>
    public sealed class ThreeD : IDisposable
    {
        public TrainedStudy Rgb { get; } = new(SyntheticFamilies.ThreeD);
        public NotebookStudy Depth { get; }
        public StudyEvaluation DepthEvaluation { get; }

        public ThreeD()
        {
            Depth = Rgb.Study.Sibling(ThreeDViews.DepthRootOf(Rgb.Study));
            Depth.Train();
            DepthEvaluation = Depth.Evaluate(overlaysPerSide: 0);
        }

        public void Dispose()
        {
            DepthEvaluation.Dispose();
            Depth.Dispose();
            Rgb.Dispose();
        }
    }

    readonly ThreeD run;
    public ThreeDViewsTests(ThreeD fixture) => run = fixture;

    [Fact]
    public void The_depth_sibling_holds_the_same_category_and_test_names_in_a_run_of_its_own()
    {
        Assert.EndsWith(SyntheticFamilies.DepthRoot, run.Depth.DataRoot);
        Assert.Equal(run.Rgb.Study.CategoryName, run.Depth.CategoryName);
        Assert.NotEqual(run.Rgb.Study.Run.Root, run.Depth.Run.Root);
        Assert.Equal(run.Rgb.Study.Category.Test.Select(r => Path.GetFileName(r.Path)), run.Depth.Category.Test.Select(r => Path.GetFileName(r.Path)));
    }

    [Fact]
    public void Each_image_sits_beside_its_stretched_gray_depth_map_with_the_same_outline()
    {
        var gallery = Assert.IsType<MapGallery>(ThreeDViews.RgbAndDepth(run.Rgb.Study, run.Depth, normal: 1, anomalous: 2).Content);
        Assert.Equal(6, gallery.Panels.Count);
        foreach (var pair in gallery.Panels.Chunk(2))
        {
            Assert.EndsWith("(RGB)", pair[0].Title);
            Assert.EndsWith("(depth)", pair[1].Title);
            Assert.True(pair[1].Rgb.Chunk(3).All(c => c[0] == c[1] && c[1] == c[2]), $"{pair[1].Title} is not gray");
            Assert.Equal((0f, 1f), (pair[1].Rgb.Min(), pair[1].Rgb.Max()));
            Assert.Equal(pair[0].Mask, pair[1].Mask);
        }
        Assert.Contains(gallery.Panels[2].Mask!, b => b != 0);
    }

    [Fact]
    public void Rgb_and_depth_rows_repeat_each_runs_metrics_and_the_combination_adds_their_scores()
    {
        var transform = run.Rgb.Study.Preset.Transform;
        var frame = Assert.IsType<DataFrame>(ThreeDViews.Modalities(run.Rgb.Evaluation, run.DepthEvaluation, transform).Content);

        Assert.Equal(3, frame.Rows.Count);
        Assert.Equal(Math.Round(run.Rgb.Evaluation.Metrics.ImageAuroc, 4), (double?)frame.Columns["I-AUROC"][0]);
        Assert.Equal(Math.Round(run.DepthEvaluation.Metrics.ImageAuroc, 4), (double?)frame.Columns["I-AUROC"][1]);
        Assert.Equal(Math.Round(run.Rgb.Evaluation.Metrics.PixelAuroc!.Value, 4), (double?)frame.Columns["P-AUROC"][0]);
        var pixels = DetectorEvaluation.GroundTruthSet(run.Rgb.Evaluation.Predictions, transform);
        var strict = PixelMetrics.Compute(pixels, 0.01).AuproAt(0.01);
        Assert.Equal(Math.Round(strict, 4), (double?)frame.Columns["AUPRO@0.01"][0]);

        var summed = run.Rgb.Evaluation.Scores.Zip(run.DepthEvaluation.Scores, (a, b) => a + b).ToArray();
        var combined = BinaryMetrics.Compute(summed, run.Rgb.Evaluation.Labels.Select(l => (byte)l).ToArray()).Auroc;
        Assert.Equal(Math.Round(combined, 4), (double?)frame.Columns["I-AUROC"][2]);
    }
}
