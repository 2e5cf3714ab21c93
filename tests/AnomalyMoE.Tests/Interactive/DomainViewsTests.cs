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

/// <summary>A synthetic family trained for one iteration and evaluated, as the domain notebooks use it.</summary>
public sealed class TrainedStudy : IDisposable
{
    readonly TempDirectory work = new();
    public NotebookStudy Study { get; }
    public StudyEvaluation Evaluation { get; }

    public TrainedStudy(string family)
    {
        Study = NotebookStudy.Create(StudyOptions.Fast with { Family = family, Iterations = 1, WorkDirectory = work.Path });
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
        Assert.Contains($"logical I-AUROC ({logical} images)", names);
        Assert.Contains($"structural I-AUROC ({structural} images)", names);
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
