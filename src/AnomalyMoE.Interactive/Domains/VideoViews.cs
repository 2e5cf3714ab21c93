using System.Globalization;
using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Interactive.Charts;
using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Interactive.Tables;
using AnomalyMoE.Synthetic;

namespace AnomalyMoE.Interactive.Domains;

/// <summary>
/// UCSD Ped2's views (notebook 05): frame-level AUROC pooled over every test frame (<see cref="FrameLevelAuroc"/>), the
/// score over each test clip's frames with the anomalous frames shaded, and the highest-scoring frame with its map.
/// Frames of the converted Ped2 are named <c>&lt;clip&gt;_&lt;frame&gt;.png</c>; the synthetic family's clips are runs of
/// consecutive test indices (<see cref="SyntheticCategory.ClipLength"/> frames each), recovered from its generation plan.
/// </summary>
public static class VideoViews
{
    /// <summary>Every evaluated frame with its clip, frame number and score, ordered by clip and frame.</summary>
    public static IReadOnlyList<FrameScore> Frames(NotebookStudy study, StudyEvaluation evaluation)
    {
        var records = evaluation.Predictions.Records;
        var locate = Locator(study);
        return records.Select((r, i) =>
        {
            var (clip, frame) = locate(r);
            return new FrameScore(clip, frame, evaluation.Predictions.Scores[i], r.IsAnomalous);
        }).OrderBy(f => f.Clip, StringComparer.Ordinal).ThenBy(f => FrameNumber(f.Frame)).ToList();
    }

    /// <summary>(clip, frame) of a record: from the converted Ped2 name, or from the synthetic family's plan.</summary>
    static Func<ImageRecord, (string Clip, string Frame)> Locator(NotebookStudy study)
    {
        if (study.UsesRealData) return r => FrameLevelAuroc.ParseConvertedName(Path.GetFileName(r.Path));
        var o = study.Options;
        var byPath = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var spec in SyntheticBenchmark.Plan(new SynthOptions([o.Family], o.SynthSeed, o.SynthSize, o.SynthTrain, o.SynthTest)))
        {
            if (spec.Split != "test" || spec.Category.Name != study.CategoryName) continue;
            int length = spec.Category.ClipLength;
            byPath[spec.ImagePath(o.Family)] = ((spec.Index / length).ToString("D2", CultureInfo.InvariantCulture),
                (spec.Index % length).ToString(CultureInfo.InvariantCulture));
        }
        var root = Path.GetDirectoryName(Path.GetFullPath(study.DataRoot))!;
        return r => byPath.TryGetValue(Path.GetRelativePath(root, r.Path).Replace('\\', '/'), out var at)
            ? at
            : throw new ArgumentException($"'{r.Path}' is not a test frame of the synthetic '{study.CategoryName}' plan.");
    }

    static int FrameNumber(string frame) => int.TryParse(frame, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue;

    /// <summary>Per run, the frame-level AUROC pooled over every test frame, beside the clip and frame counts.</summary>
    public static NotebookView FrameAuroc(NotebookStudy study, params StudyEvaluation[] runs)
    {
        var frames = runs.Select(r => Frames(study, r)).ToList();
        var table = MetricsTables.FromColumns("run", runs.Select(r => r.Name).ToArray(),
        [
            ("frame AUROC", frames.Select(f => (double?)Math.Round(FrameLevelAuroc.Pooled(f), 4)).ToArray()),
            ("clips", frames.Select(f => (double?)f.Select(x => x.Clip).Distinct().Count()).ToArray()),
            ("frames", frames.Select(f => (double?)f.Count).ToArray()),
            ("anomalous frames", frames.Select(f => (double?)f.Count(x => x.Anomalous)).ToArray()),
        ]);
        return new NotebookView("frame-auroc", "Frame-level AUROC", table,
            "Every test frame of every clip is pooled into one ROC with its score as it is (no per-clip normalisation), as the " +
            "UCSD Ped2 results are reported; a frame is anomalous when a cyclist, vehicle or other non-pedestrian is in it.");
    }

    /// <summary>The clips' traces for <see cref="DomainCharts.ClipTimelines"/>.</summary>
    public static IReadOnlyList<ClipTrace> Traces(IReadOnlyList<FrameScore> frames) =>
        frames.GroupBy(f => f.Clip).Select(g =>
        {
            var list = g.ToList();
            var numbers = list.Select((f, i) => FrameNumber(f.Frame) is var n && n != int.MaxValue ? n : i).ToArray();
            return new ClipTrace(g.Key, numbers, list.Select(f => f.Score).ToArray(), list.Select(f => f.Anomalous).ToArray());
        }).ToList();

    /// <summary>The score over each test clip's frames, ground-truth anomalous frames shaded, the calibrated threshold dashed.</summary>
    public static NotebookView Timeline(NotebookStudy study, StudyEvaluation evaluation)
    {
        var traces = Traces(Frames(study, evaluation));
        var chart = DomainCharts.ClipTimelines(traces, evaluation.Predictions.Threshold, $"{evaluation.Name}: anomaly score over each test clip");
        return new NotebookView("clip-timeline", "Anomaly score over each test clip", chart,
            "A good detector rises over the shaded frames and stays low elsewhere; frames above the dashed threshold are the ones " +
            "it would flag. " + (study.UsesRealData ? "" : "Synthetic clips are eight frames of one moving scene each."));
    }

    /// <summary>The frame the run scored highest, and its fused map with the ground truth outlined.</summary>
    public static NotebookView TopFrame(NotebookStudy study, StudyEvaluation evaluation)
    {
        var predictions = evaluation.Predictions;
        int top = Enumerable.Range(0, predictions.Records.Count).MaxBy(i => predictions.Scores[i]);
        var record = predictions.Records[top];
        var (clip, frameName) = Locator(study)(record);
        using var batch = study.LoadBatch([record]);
        var (maps, scores) = evaluation.For([record]);
        using (maps)
        {
            var title = $"clip {clip}, frame {frameName} ({(record.IsAnomalous ? record.DefectType : "normal")})";
            var panels = new[]
            {
                batch.Panels()[0] with { Title = title },
                batch.Panels(maps, scores)[0] with { Title = "fused map" },
            };
            return new NotebookView("top-frame", "The highest-scoring frame and its map",
                new MapGallery(panels, $"{evaluation.Name}: {title}, score {scores[0]:0.###}", Columns: 2),
                record.IsAnomalous
                    ? "The top frame is an anomalous one; the map should be hottest on the intruder (outlined in green)."
                    : "The top frame is a normal one: this run's highest score is a false alarm.");
        }
    }
}
