using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Interactive.Tables;

namespace AnomalyMoE.Interactive.Domains;

/// <summary>Teaching views (notebook 00): how the fused map relates to each level's.</summary>
public static class TeachingViews
{
    /// <summary>
    /// One test image, its patch, component and global maps from <paramref name="model"/> and the fused map the evaluation
    /// scored, side by side; each map on its own colour scale (the levels' scales differ).
    /// </summary>
    public static MapGallery LevelMaps(NotebookStudy study, StudyEvaluation evaluation, StudyModel model, ImageRecord record)
    {
        // A second image keeps the batch statistics of the loss terms defined; only the first is shown.
        var partner = evaluation.Predictions.Records.First(r => r.Path != record.Path);
        using var batch = study.LoadBatch([record, partner]);
        using var inspection = study.Inspect(model, batch);
        var (fused, scores) = evaluation.For([record]);
        using (fused)
        using (var image = batch.Images.narrow(0, 0, 1))
        using (var truth = batch.GroundTruth.narrow(0, 0, 1))
        {
            var name = $"{record.DefectType}/{Path.GetFileNameWithoutExtension(record.Path)}";
            var panels = new List<MapPanel> { batch.Panels()[0] with { Title = name } };
            var levels = inspection.Levels().ToDictionary(l => l.Level, l => l.Map);
            foreach (var level in ExpertAttribution.RowOrder)
            {
                if (!levels.TryGetValue(level, out var map)) continue;
                using var first = map.narrow(0, 0, 1);
                panels.Add(MapPanels.FromBatch(image, batch.Encoder.Normalization, [$"{level} map"], first, truth)[0]);
            }
            panels.Add(MapPanels.FromBatch(image, batch.Encoder.Normalization, ["fused map"], fused, truth, scores)[0]);
            return new MapGallery(panels, $"{name}: image, each level's map, fused map (each on its own colour scale)", Columns: panels.Count);
        }
    }

    /// <summary>
    /// The fused model against each level alone: image AUROC of the fused score and of each level's map fused on its own,
    /// then the highest-scoring anomalous test image under every level's map and the fused one.
    /// </summary>
    public static NotebookView FusedAgainstLevels(NotebookStudy study, StudyEvaluation evaluation, StudyModel model)
    {
        var predictions = evaluation.Predictions;
        var top = Enumerable.Range(0, predictions.Records.Count).Where(i => predictions.Records[i].IsAnomalous)
            .OrderByDescending(i => predictions.Scores[i]).First();
        var table = MetricsTables.FromExpertLevels([(evaluation.Name, evaluation.Report)]);
        return new NotebookView("fused-vs-levels", "The fused map against each level's",
            new object[] { table, LevelMaps(study, evaluation, model, predictions.Records[top]) },
            "Each level's map alone goes through the same normalisation, smoothing and top-1 % score as the fused one. Where a " +
            "level alone scores above the fused model, the other levels add more noise than they catch; where the fused score " +
            "is highest, the levels catch different anomalies.");
    }
}
