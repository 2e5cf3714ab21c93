using AnomalyMoE.Evaluation;
using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Interactive.Tables;
using Microsoft.Data.Analysis;

namespace AnomalyMoE.Interactive.Domains;

/// <summary>
/// BMAD views (notebook 04): grayscale slices with the lesion outlined, results per subset and per anomaly type, what
/// happens on subsets with image labels only, and sensitivity at a fixed specificity beside AUROC.
/// </summary>
public static class MedicalViews
{
    /// <summary>Lesion outline colour: red reads on grayscale where the maps' green would not stand out.</summary>
    public const uint LesionOutline = 0xFFFF2020;

    /// <summary>Test slices in grayscale (luminance), a few normal ones first, the lesion outlined in red where masks exist.</summary>
    public static NotebookView Slices(NotebookStudy study, int normal = 2, int anomalous = 6)
    {
        var records = study.TestSamples(normal, anomalous);
        using var batch = study.LoadBatch(records);
        // A subset without masks has no outline to draw (its records carry no mask), so outlining where any subset has them is safe.
        bool masks = study.Categories.Any(c => c.HasPixelMasks);
        var panels = batch.Panels(outlineGroundTruth: masks).Select(p => p with { Rgb = Gray(p.Rgb) }).ToList();
        var gallery = new MapGallery(panels, $"{study.CategoryName.Replace(",", ", ")}: test slices" + (masks ? ", lesions outlined in red" : " (image labels only: no outline)"),
            Columns: 4, Options: new OverlayOptions(OutlineColor: LesionOutline));
        return new NotebookView("medical-slices", "Slices with the lesion outlined", gallery);
    }

    /// <summary>Luminance (Rec. 601) of interleaved RGB, repeated in all three channels.</summary>
    public static float[] Gray(float[] rgb)
    {
        var gray = new float[rgb.Length];
        for (int i = 0; i + 2 < rgb.Length; i += 3)
        {
            var y = 0.299f * rgb[i] + 0.587f * rgb[i + 1] + 0.114f * rgb[i + 2];
            gray[i] = gray[i + 1] = gray[i + 2] = y;
        }
        return gray;
    }

    /// <summary>
    /// Image AUROC per subset (evaluated category) and, within it, per anomaly type (the subset's normal images against that
    /// type alone), one column per run; subsets in the first run's evaluation order.
    /// </summary>
    public static NotebookView PerSubset(params StudyEvaluation[] runs)
    {
        var rows = new List<string>();
        var columns = runs.Select(_ => new List<double?>()).ToList();
        foreach (var subset in runs[0].PerCategory)
        {
            var key = subset.Category.Metrics.Category;
            var each = runs.Select(r => r.Of(key)).ToArray();
            var first = subset.Predictions.Records;
            rows.Add($"{key} (all anomalies)");
            for (int k = 0; k < runs.Length; k++) columns[k].Add(Math.Round(each[k].Metrics.ImageAuroc, 4));
            foreach (var type in first.Where(r => r.IsAnomalous).Select(r => r.DefectType).Distinct().Order(StringComparer.Ordinal))
            {
                rows.Add($"  {type} (n={first.Count(r => r.DefectType == type)})");
                for (int k = 0; k < runs.Length; k++)
                {
                    var p = each[k].Predictions;
                    var pick = Enumerable.Range(0, p.Records.Count).Where(i => !p.Records[i].IsAnomalous || p.Records[i].DefectType == type).ToArray();
                    columns[k].Add(Math.Round(BinaryMetrics.Compute(pick.Select(i => p.Scores[i]).ToArray(), pick.Select(i => (byte)p.Records[i].Label).ToArray()).Auroc, 4));
                }
            }
        }
        var frame = MetricsTables.FromColumns("subset / anomaly type", rows, runs.Select((r, k) => ($"{r.Name} I-AUROC", (IReadOnlyList<double?>)columns[k])));
        return new NotebookView("per-subset", "Results per subset and per anomaly type", frame,
            "BMAD gathers subsets of different modalities (brain MRI, retinal OCT, chest X-ray, …); each is its own category and is " +
            "evaluated apart, and within it each kind of lesion is scored against the subset's normal images alone.");
    }

    /// <summary>Whether each subset has pixel masks (one column per subset), and which metrics that leaves.</summary>
    public static NotebookView Annotation(NotebookStudy study, StudyEvaluation evaluation)
    {
        var subsets = study.Categories.Select(c => new StringDataFrameColumn(c.Category, ["yes", c.HasPixelMasks ? "yes" : "no"]));
        var withMasks = study.Categories.Where(c => c.HasPixelMasks).Select(c => evaluation.Of(c.Category)).ToList();
        var here = string.Join(", ", withMasks.Select(e => (study.Categories.Count > 1 ? $"{Short(e.Category.Metrics.Category)} " : "") + $"{e.Metrics.PixelAuroc:0.000}"));
        var frame = new DataFrame(new DataFrameColumn[] { new StringDataFrameColumn("annotation", ["image labels (normal / anomalous)", "pixel masks (lesion outlines)"]) }
            .Concat(subsets)
            .Append(new StringDataFrameColumn("metrics it allows", ["I-AUROC, I-AP, I-F1max, sensitivity at a specificity",
                withMasks.Count > 0 ? $"P-AUROC, P-AP, P-F1max, AUPRO where masks exist (here P-AUROC {here})" : "none: pixel metrics are left empty, not zero"])));
        return new NotebookView("label-only", "Image labels and pixel masks", frame,
            "Several BMAD subsets (e.g. the chest X-ray and OCT2017 ones) come with image labels only. The kit reads a category " +
            "without a ground_truth folder as image-labelled: it trains and scores images as usual, leaves every pixel metric " +
            "empty (null in metrics.json, never 0) and draws maps without an outline, so image-level results stay comparable.");
    }

    /// <summary>
    /// Per run and subset, image AUROC beside the sensitivity at a fixed specificity (95 % by default) and at the calibrated
    /// threshold. Each subset is read apart — its scores are normalised and its threshold calibrated on its own — and a row
    /// is named by the run, or by run · subset when a run covers several subsets.
    /// </summary>
    public static NotebookView Sensitivity(double specificity, params StudyEvaluation[] evaluations)
    {
        var runs = evaluations.SelectMany(e => e.PerCategory).ToArray();
        string RowName(StudyEvaluation r) =>
            evaluations.Any(e => e.Sets.Count > 1) ? $"{r.Name} · {Short(r.Category.Metrics.Category)}" : r.Name;
        var points = runs.Select(r => OperatingPoint.AtSpecificity(r.Scores, r.Labels, specificity)).ToList();
        double? AtThreshold(StudyEvaluation r, bool sensitivity)
        {
            if (r.Predictions.Anomalous is not { } called) return null;
            var labels = r.Labels;
            var idx = Enumerable.Range(0, labels.Length).Where(i => labels[i] == (sensitivity ? 1 : 0)).ToList();
            return Math.Round(idx.Count(i => called[i] == sensitivity) / (double)idx.Count, 4);
        }
        string pct = $"{specificity:P0}".Replace(" ", "");
        var frame = MetricsTables.FromColumns("run", runs.Select(RowName).ToArray(),
        [
            ("I-AUROC", runs.Select(r => (double?)Math.Round(r.Metrics.ImageAuroc, 4)).ToArray()),
            ($"sensitivity at {pct} specificity", points.Select(p => (double?)Math.Round(p.Sensitivity, 4)).ToArray()),
            ("specificity reached", points.Select(p => (double?)Math.Round(p.Specificity, 4)).ToArray()),
            ("sensitivity at calibrated threshold", runs.Select(r => AtThreshold(r, true)).ToArray()),
            ("specificity at calibrated threshold", runs.Select(r => AtThreshold(r, false)).ToArray()),
        ]);
        return new NotebookView("sensitivity-at-specificity", $"Sensitivity at {pct} specificity beside AUROC", frame,
            "AUROC averages over every threshold; a clinician reads one operating point: of the scans with a lesion, how many are " +
            $"flagged when at most {1 - specificity:P0} of the normal scans may be. With few normal test images the specificity " +
            "reached can exceed the target (each normal image moves it by a whole step).");
    }

    static string Short(string category) => category.Contains('/') ? category[(category.LastIndexOf('/') + 1)..] : category;
}
