using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Interactive.Tables;

namespace AnomalyMoE.Interactive.Domains;

/// <summary>Teaching views (notebook 00): the encoder's taps, each expert's map, and how the fused map relates to each level's.</summary>
public static class TeachingViews
{
    /// <summary>
    /// The feature magnitude (L2 norm over channels) of every tapped encoder layer over the batch's images: one gallery
    /// per tap, each on its own colour scale, since deeper layers have other magnitudes. These maps are what the experts
    /// reconstruct: the patch experts each fuse group's mean, the component experts the components' mean features.
    /// </summary>
    public static NotebookView EncoderTaps(StudyBatch batch, IReadOnlyList<int> tapLayers)
    {
        var tokens = batch.Tokens;
        var galleries = new List<MapGallery>();
        for (int t = 0; t < tokens.Layers.Count; t++)
        {
            using var grid = AnomalyMoE.Experts.TokenMaps.ToGrid(tokens.Layers[t], batch.Encoder.PrefixTokens, tokens.GridH, tokens.GridW);
            using var norm = grid.norm(1, keepdim: true);
            var layer = t < tapLayers.Count ? $"layer {tapLayers[t]}" : $"tap {t}";
            galleries.Add(MapGallery.SharedScale(batch.Panels(norm, outlineGroundTruth: false), $"Tap {t} ({layer}): feature magnitude, blue low, red high", columns: batch.Count));
        }
        return new NotebookView("encoder-taps", $"The encoder's {tokens.Layers.Count} tapped layers",
            galleries.Cast<object>().ToArray(),
            $"Each tap is a [{tokens.GridH}×{tokens.GridW}] grid of {tokens.Layers[0].shape[2]}-wide features per image. Earlier taps respond to " +
            "texture and edges, later ones to parts and objects; an anomaly that changes a tap's features is what the experts fail to reconstruct.");
    }

    /// <summary>
    /// Every expert's own map over the batch, unweighted by the router (<see cref="BatchInspection.ExpertMaps"/>): one gallery
    /// per level, a row per expert, on the level's colour scale, each row titled with the images the router sent to that
    /// expert. An expert that is never selected still reconstructs, but its map never reaches the fused one.
    /// </summary>
    public static NotebookView ExpertMaps(BatchInspection inspection, StudyBatch batch)
    {
        var galleries = new List<MapGallery>();
        var names = inspection.Options.Layout.ExpertNames.ToList();
        foreach (var level in inspection.Options.Layout.Levels.Where(l => l.Count > 0))
        {
            var experts = inspection.ExpertMaps.Where(e => level.ExpertNames.Contains(e.Expert)).ToList();
            if (experts.Count == 0) continue;
            var panels = new List<MapPanel>();
            foreach (var (expert, map) in experts)
            {
                int column = names.IndexOf(expert);
                var routed = inspection.Routing.Weights.Select(w => w[column] > 0).ToArray();
                panels.AddRange(batch.Panels(map).Select((panel, i) => panel with { Title = $"{expert}{(routed[i] ? "*" : "")} · {panel.Title}" }));
            }
            galleries.Add(MapGallery.SharedScale(panels, $"{level.Name} experts: each one's map, a row per expert (* = the router selected it for that image)", columns: batch.Count));
        }
        return new NotebookView("expert-maps", "Each expert's reconstruction error",
            galleries.Cast<object>().ToArray(),
            "Every expert reconstructs every image; the router's top-k choice decides whose error counts. Experts of one level " +
            "that light up the same places learned the same thing (what EIR pushes against); an expert no image selects is one ESB " +
            "should bring back into use.");
    }

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
