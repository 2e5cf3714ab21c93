using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Interactive.Tables;

namespace AnomalyMoE.Interactive.Domains;

/// <summary>
/// MVTec LOCO's views (notebook 02): image AUROC on logical against structural anomalies, AUC-sPRO up to FPR 0.05, which
/// expert level catches which kind, and one logical anomaly under each level's map. On the real benchmark the sPRO regions
/// come from its per-region masks and <c>defects_config.json</c>; on synthetic data from the masks (<see cref="RegionSamples"/>).
/// </summary>
public static class LogicalViews
{
    /// <summary>The run's MVTec LOCO report (<see cref="LocoSpro.Evaluate"/>) at FPR 0.05.</summary>
    public static LocoReport Report(NotebookStudy study, StudyEvaluation evaluation)
    {
        var predictions = evaluation.Predictions;
        int side = (int)predictions.Maps.shape[2];
        var maps = predictions.Maps.contiguous().data<float>().ToArray();
        var samples = DatasetMetricsKinds.Of(study.Category) == DatasetMetricsKind.MvtecLoco
            ? LocoMapSamples.Build(study.Category, predictions.Records, maps, side, study.Preset.Transform)
            : RegionSamples.FromMasks(predictions.Records, maps, RegionSamples.MasksAtMapResolution(predictions.Records, study.Preset.Transform, side), side);
        return LocoSpro.Evaluate(samples, predictions.Scores.Select(s => (double)s).ToList(), [LocoSpro.DefaultMaxFpr]);
    }

    /// <summary>Per run, image AUROC of the good images against the logical and against the structural anomalies.</summary>
    public static NotebookView LogicalVersusStructural(NotebookStudy study, params StudyEvaluation[] runs)
    {
        var reports = runs.Select(r => Report(study, r)).ToList();
        var counts = CountTypes(runs[0].Predictions.Records);
        var frame = MetricsTables.FromColumns("run", runs.Select(r => r.Name).ToArray(),
        [
            ($"logical I-AUROC (n={counts.Logical})", reports.Select(r => Defined(r.ImageAuroc.Logical)).ToArray()),
            ($"structural I-AUROC (n={counts.Structural})", reports.Select(r => Defined(r.ImageAuroc.Structural)).ToArray()),
            ("mean of both", reports.Select(r => Defined(r.ImageAuroc.Mean)).ToArray()),
        ]);
        return new NotebookView("logical-vs-structural", "Image AUROC: logical versus structural anomalies", frame,
            $"Each column scores the {counts.Good} good test images against one kind of anomaly only. A logical anomaly breaks a rule " +
            "(a part missing, extra or misplaced) with parts that each look normal, so a purely local detector tends to score it lower.");
    }

    /// <summary>Per run, AUC-sPRO up to FPR 0.05 over all test images and per anomaly kind.</summary>
    public static NotebookView AucSpro(NotebookStudy study, params StudyEvaluation[] runs)
    {
        var reports = runs.Select(r => Report(study, r)).ToList();
        double? At(IReadOnlyDictionary<double, double> d) => Defined(d[LocoSpro.DefaultMaxFpr]);
        var frame = MetricsTables.FromColumns("run", runs.Select(r => r.Name).ToArray(),
        [
            ("AUC-sPRO@0.05", reports.Select(r => At(r.AucSproAll)).ToArray()),
            ("logical AUC-sPRO@0.05", reports.Select(r => At(r.AucSproLogical)).ToArray()),
            ("structural AUC-sPRO@0.05", reports.Select(r => At(r.AucSproStructural)).ToArray()),
        ]);
        var source = DatasetMetricsKinds.Of(study.Category) == DatasetMetricsKind.MvtecLoco
            ? "Regions and saturation thresholds come from the benchmark's region masks and defects_config.json."
            : "Synthetic data has no defects_config.json: each connected region of a mask is one region saturating at its full area.";
        return new NotebookView("auc-spro", "AUC-sPRO up to a false-positive rate of 0.05", frame,
            "sPRO credits each annotated region up to a saturation area, so a missing part is found by marking enough of where it " +
            "should be, not all of it; the curve is integrated up to FPR 0.05 and divided by 0.05. " + source);
    }

    /// <summary>
    /// Which expert level catches which kind: image AUROC of each level's map fused alone (rows patch, component, global) on
    /// the good images against each anomaly level (columns structural, component, logical).
    /// </summary>
    public static NotebookView Attribution(StudyEvaluation evaluation)
    {
        var table = AttributionOf(evaluation);
        var frame = MetricsTables.FromColumns("expert level alone", table.ExpertLevels.ToArray(),
            table.AnomalyLevels.Select((level, c) => ($"{level} ({table.AnomalousImages[c]})", (IReadOnlyList<double?>)table.Auroc.Select(row => Round(row[c])).ToArray())));
        return new NotebookView("expert-attribution", "Expert attribution: image AUROC of each expert level alone, by anomaly level", frame,
            "Each row fuses one level's map alone into image scores; each column is the good test images against the anomalies of " +
            "one level (their count in brackets; empty where there are none). A high cell says that level alone catches that kind.");
    }

    /// <summary>The attribution table of an evaluated run (<see cref="ExpertAttribution.Compute"/>).</summary>
    public static ExpertAttribution AttributionOf(StudyEvaluation evaluation)
    {
        var records = evaluation.Predictions.Records;
        if (evaluation.Predictions.ExpertLevelScores.Count == 0)
            throw new ArgumentException($"{evaluation.Name} has no expert levels (a baseline): there is nothing to attribute.");
        return ExpertAttribution.Compute(records.Select(r => r.Label).ToList(), records.Select(ExpertAttribution.LevelOf).ToList(),
            evaluation.Predictions.ExpertLevelScores);
    }

    /// <summary>
    /// The highest-scoring logical anomaly with its patch, component and global maps from <paramref name="model"/> beside the
    /// fused map the evaluation scored; each map on its own colour scale (the levels' scales differ).
    /// </summary>
    public static NotebookView LevelMapsOfLogicalAnomaly(NotebookStudy study, StudyEvaluation evaluation, StudyModel model)
    {
        var predictions = evaluation.Predictions;
        var logical = Enumerable.Range(0, predictions.Records.Count)
            .Where(i => predictions.Records[i].IsAnomalous && ExpertAttribution.LevelOf(predictions.Records[i]) == AnomalyLevels.Logical)
            .OrderByDescending(i => predictions.Scores[i]).ToList();
        if (logical.Count == 0)
            return new NotebookView("logical-level-maps", "Level maps of a logical anomaly", "The test set holds no logical anomaly.");
        var record = predictions.Records[logical[0]];
        return new NotebookView("logical-level-maps", $"One logical anomaly ({record.DefectType}) under each level's map",
            TeachingViews.LevelMaps(study, evaluation, model, record),
            "The patch level compares each small patch with normal ones, so a part that is missing or out of place but intact looks " +
            "normal to it; the component and global levels see parts and the whole image, where a broken rule shows.");
    }

    static (int Good, int Logical, int Structural) CountTypes(IReadOnlyList<ImageRecord> records)
    {
        var types = records.Select(RegionSamples.LocoTypeOf).ToList();
        return (types.Count(t => t == LocoSpro.Good), types.Count(t => t == LocoSpro.Logical), types.Count(t => t == LocoSpro.Structural));
    }

    internal static double? Defined(double v) => double.IsFinite(v) ? Math.Round(v, 4) : null;

    static double? Round(double? v) => v is { } x ? Math.Round(x, 4) : null;
}
