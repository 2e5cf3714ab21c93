using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Interactive.Charts;
using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Interactive.Tables;

namespace AnomalyMoE.Interactive.Domains;

/// <summary>
/// MVTec AD / VisA views (notebook 01): the per-category table and bar chart of an evaluation, the worst-scored images of
/// each side against the calibrated threshold, and the pixel metrics beside pixel AUROC.
/// </summary>
public static class IndustrialViews
{
    /// <summary>
    /// One row per evaluated category of each run (run · category), every image and pixel metric, then — for a run over
    /// several categories — its mean over them (run · mean), the number the paper's tables report.
    /// </summary>
    public static NotebookView PerCategoryTable(params StudyEvaluation[] runs)
    {
        var rows = runs.SelectMany(r => r.Report.Categories.Select(c => ($"{r.Name} · {c.Metrics.Category}", c.Metrics))
            .Concat(r.Report.Categories.Count > 1 ? [($"{r.Name} · mean", r.Report.Mean)] : []));
        return new NotebookView("per-category-table", "Per-category results", MetricsTables.FromRuns(rows, "run · category"),
            "One unified model is evaluated on each of its categories apart (each category's maps are normalised together, as " +
            "amoe test does); pixel columns are empty for a category without masks.");
    }

    /// <summary>Image and pixel AUROC per category, one bar colour per run and metric.</summary>
    public static NotebookView PerCategoryBars(params StudyEvaluation[] runs)
    {
        var (groups, series) = PerCategoryBarData(runs);
        var chart = DomainCharts.GroupedBars("Image and pixel AUROC per category", groups, series, "AUROC");
        return new NotebookView("per-category-bars", "Per-category AUROC", chart);
    }

    /// <summary>
    /// What <see cref="PerCategoryBars"/> draws: the groups (category folder names, in evaluation order) and, per run, an
    /// image-AUROC and a pixel-AUROC series with one value per group (null where a run lacks the category or its masks).
    /// </summary>
    public static (IReadOnlyList<string> Groups, IReadOnlyList<BarSeries> Series) PerCategoryBarData(params StudyEvaluation[] runs)
    {
        var categories = runs.SelectMany(r => r.Report.Categories.Select(c => c.Metrics.Category)).Distinct().ToList();
        double? Of(StudyEvaluation run, string category, Func<CategoryMetrics, double?> metric) =>
            run.Report.Categories.FirstOrDefault(c => c.Metrics.Category == category) is { } c ? metric(c.Metrics) : null;
        var series = runs.SelectMany(r => new[]
        {
            new BarSeries($"{r.Name} image AUROC", categories.Select(c => Of(r, c, m => m.ImageAuroc)).ToList()),
            new BarSeries($"{r.Name} pixel AUROC", categories.Select(c => Of(r, c, m => m.PixelAuroc)).ToList()),
        }).ToList();
        return (categories.Select(Short).ToList(), series);
    }

    /// <summary>
    /// The worst-scored images of each side: the normal images scored highest and the anomalies scored lowest, each marked as
    /// an error or not at its category's threshold (calibrated, or the F1-max threshold when the run has none). A unified run
    /// ranks its categories together by each image's margin over its own category's threshold, since a score is only
    /// comparable with the threshold of the category it was calibrated on; fused map and truth over each.
    /// </summary>
    public static NotebookView WorstErrors(NotebookStudy study, StudyEvaluation evaluation, int perSide = 3)
    {
        var thresholds = evaluation.PerCategory.Select(Threshold).ToList();
        var all = evaluation.Sets.SelectMany((set, c) => set.Records.Select((r, i) =>
            (Record: r, Category: c, Margin: set.Scores[i] - thresholds[c].Threshold))).ToList();
        var normals = all.Where(x => !x.Record.IsAnomalous).OrderByDescending(x => x.Margin).Take(perSide);
        var anomalies = all.Where(x => x.Record.IsAnomalous).OrderBy(x => x.Margin).Take(perSide);
        var picked = normals.Concat(anomalies).ToList();
        var records = picked.Select(x => x.Record).ToList();
        bool unified = evaluation.Sets.Count > 1;
        using var batch = study.LoadBatch(records);
        var (maps, scores) = evaluation.For(records);
        using (maps)
        {
            var panels = batch.Panels(maps, scores).Select((panel, k) =>
            {
                var r = records[k];
                bool called = scores[k] > thresholds[picked[k].Category].Threshold;
                var tag = r.IsAnomalous ? (called ? "TP" : "FN") : (called ? "FP" : "TN");
                var where = unified ? $"{r.Category}/" : "";
                return panel with { Title = $"{tag} {where}{r.DefectType}/{Path.GetFileNameWithoutExtension(r.Path)}" };
            }).ToList();
            int fp = all.Count(x => !x.Record.IsAnomalous && x.Margin > 0);
            int fn = all.Count(x => x.Record.IsAnomalous && x.Margin <= 0);
            var which = thresholds[0].Which;
            var at = unified ? $"each category's {which} threshold" : $"the {which} threshold {thresholds[0].Threshold:0.###}";
            var scope = unified ? $"{evaluation.Sets.Count} categories" : evaluation.Category.Metrics.Category;
            return new NotebookView("worst-errors", $"Worst false positives and false negatives at {at}",
                MapGallery.SharedScale(panels, $"{evaluation.Name} · {scope}: highest-scored normal images, then lowest-scored anomalies", columns: Math.Max(1, perSide)),
                $"At {at} the run makes {fp} false positives and {fn} false negatives on {all.Count} test images. " +
                "Top row: the normal images scored highest (FP when above the threshold); bottom row: the anomalies scored lowest " +
                "(FN when at or below it)" + (unified ? ", both ranked by the margin over their own category's threshold" : "") +
                ". One colour scale; ground truth outlined in green.");
        }
    }

    /// <summary>One category's calibrated threshold, or its image F1-max threshold when its scoring has none.</summary>
    public static (double Threshold, string Which) Threshold(StudyEvaluation evaluation)
    {
        if (evaluation.Predictions.Threshold is { } t) return (t, "calibrated");
        var labels = evaluation.Labels.Select(l => (byte)l).ToArray();
        // F1-max calls scores at or above its threshold anomalous; the views call above-threshold anomalous, so step below it.
        var f1 = BinaryMetrics.Compute(evaluation.Scores, labels).F1Threshold;
        return (MathF.BitDecrement(f1), "F1-max");
    }

    /// <summary>
    /// Pixel AUROC beside pixel AP, pixel F1-max and AUPRO (each run's mean over its categories when several), with the
    /// share of anomalous pixels that explains the gap.
    /// </summary>
    public static NotebookView PixelMetrics(NotebookStudy study, params StudyEvaluation[] runs)
    {
        var sets = runs[0].Sets;
        int side = (int)sets[0].Maps.shape[2];
        var masks = sets.SelectMany(set => RegionSamples.MasksAtMapResolution(set.Records, study.Preset.Transform, side)).ToList();
        double share = masks.Sum(m => m.Count(b => b != 0)) / (double)masks.Sum(m => m.Length);
        double? R(double? v) => v is { } x ? Math.Round(x, 4) : null;
        var frame = MetricsTables.FromColumns("run", runs.Select(r => r.Name).ToArray(),
        [
            ("P-AUROC", runs.Select(r => R(r.Metrics.PixelAuroc)).ToArray()),
            ("P-AP", runs.Select(r => R(r.Metrics.PixelAp)).ToArray()),
            ("P-F1max", runs.Select(r => R(r.Metrics.PixelF1Max)).ToArray()),
            ("AUPRO@0.3", runs.Select(r => R(r.Metrics.PixelAupro)).ToArray()),
        ]);
        return new NotebookView("pixel-metrics", "Pixel AP, F1-max and AUPRO beside pixel AUROC", frame,
            $"Pixel AUROC flatters: only {share:P1} of the test pixels are anomalous, so a map that flags many times more normal " +
            "pixels than there are defect pixels still has a false-positive rate near zero, while AP and F1-max weigh those false " +
            "positives against the defect pixels and AUPRO counts each defect region equally, however small.");
    }

    static string Short(string category) => category.Contains('/') ? category[(category.LastIndexOf('/') + 1)..] : category;
}
