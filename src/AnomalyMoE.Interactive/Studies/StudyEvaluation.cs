using AnomalyMoE.Maps;
using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Experts;
using AnomalyMoE.Interactive.Charts;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using static TorchSharp.torch;

namespace AnomalyMoE.Interactive.Studies;

/// <summary>
/// A run evaluated by <see cref="DetectorEvaluation"/> on one or several categories, each apart (what <c>amoe test</c>
/// writes to the run's <c>reports/</c>), together with the predictions it scored per category: the fused, smoothed maps
/// <c>[N,1,R,R]</c>, the image scores and the experts each image selected. Owns the maps.
/// </summary>
public sealed class StudyEvaluation : IDisposable
{
    readonly bool ownsSets;

    public StudyEvaluation(string name, RunDirectory run, EvaluationReport report, IReadOnlyList<SetPredictions> sets)
        : this(name, run, report, sets, ownsSets: true) { }

    public StudyEvaluation(string name, RunDirectory run, EvaluationReport report, SetPredictions predictions)
        : this(name, run, report, [predictions], ownsSets: true) { }

    StudyEvaluation(string name, RunDirectory run, EvaluationReport report, IReadOnlyList<SetPredictions> sets, bool ownsSets)
    {
        if (sets.Count != report.Categories.Count)
            throw new ArgumentException($"{report.Categories.Count} evaluated categories but {sets.Count} prediction sets.", nameof(sets));
        (Name, Run, Report, Sets, this.ownsSets) = (name, run, report, sets, ownsSets);
        PerCategory = sets.Count == 1 ? [this]
            : report.Categories.Select((c, k) => new StudyEvaluation(name, run,
                report with { Categories = [c], Mean = c.Metrics, RoutingOverall = c.RoutingFrequency }, [sets[k]], ownsSets: false)).ToList();
    }

    public string Name { get; }
    public RunDirectory Run { get; }
    public EvaluationReport Report { get; }

    /// <summary>The predictions of each evaluated category, in <see cref="EvaluationReport.Categories"/> order.</summary>
    public IReadOnlyList<SetPredictions> Sets { get; }

    /// <summary>
    /// This evaluation restricted to each category (itself when there is one), sharing its predictions: the per-category
    /// views (threshold, worst errors, curves) take these, since each category's maps and threshold are its own.
    /// </summary>
    public IReadOnlyList<StudyEvaluation> PerCategory { get; }

    /// <summary>The category evaluated under <paramref name="category"/> (its folder name or <c>dataset/category</c> key).</summary>
    public StudyEvaluation Of(string category) =>
        PerCategory.FirstOrDefault(e => e.Category.Metrics.Category == category || e.Category.Metrics.Category.EndsWith("/" + category, StringComparison.Ordinal))
        ?? throw new AnomalyMoEException($"{Name} did not evaluate '{category}'; it evaluated {string.Join(", ", Report.Categories.Select(c => c.Metrics.Category))}.");

    /// <summary>The evaluated category; throws when there are several (use <see cref="PerCategory"/>).</summary>
    public CategoryEvaluation Category => Report.Categories.Count == 1 ? Report.Categories[0] : throw Several();

    /// <summary>The category's metrics, or with several categories their mean (<see cref="EvaluationReport.Mean"/>, as <c>amoe test</c> reports it).</summary>
    public CategoryMetrics Metrics => Report.Categories.Count == 1 ? Report.Categories[0].Metrics : Report.Mean;

    /// <summary>The one category's predictions; throws when there are several (use <see cref="Sets"/> or <see cref="PerCategory"/>).</summary>
    public SetPredictions Predictions => Sets.Count == 1 ? Sets[0] : throw Several();

    /// <summary>The evaluated images of every category, in <see cref="Sets"/> order.</summary>
    public IReadOnlyList<ImageRecord> Records => Sets.SelectMany(s => s.Records).ToList();

    /// <summary>Image scores of every category, pooled (each category's scores are normalised apart, so pool with care).</summary>
    public float[] Scores => Sets.SelectMany(s => s.Scores).ToArray();
    public int[] Labels => Sets.SelectMany(s => s.Records).Select(r => r.Label).ToArray();
    public string ReportDirectory => Run.ReportsDirectory;

    InvalidOperationException Several() =>
        new($"{Name} evaluated {Sets.Count} categories ({string.Join(", ", Report.Categories.Select(c => c.Metrics.Category))}); use PerCategory.");

    /// <summary>The maps <c>[n,1,R,R]</c> and scores of some of the evaluated images, of any category (caller disposes the maps).</summary>
    public (Tensor Maps, double[] Scores) For(IReadOnlyList<ImageRecord> records)
    {
        var found = records.Select(r =>
        {
            for (int s = 0; s < Sets.Count; s++)
                for (int i = 0; i < Sets[s].Records.Count; i++)
                    if (Sets[s].Records[i].Path == r.Path) return (Set: s, Index: i);
            throw new AnomalyMoEException($"'{r.Path}' was not evaluated by {Name}.");
        }).ToArray();
        using var scope = NewDisposeScope();
        var rows = found.Select(f =>
        {
            using var position = tensor(new long[] { f.Index });
            return Sets[f.Set].Maps.index_select(0, position);
        }).ToArray();
        var maps = cat(rows, 0).MoveToOuterDisposeScope();
        return (maps, found.Select(f => (double)Sets[f.Set].Scores[f.Index]).ToArray());
    }

    /// <summary>Which experts each test image selected (1) — the routing statistics of the report, per image; null for detectors without experts.</summary>
    public RoutingSummary? Selection()
    {
        if (Report.ExpertNames.Count == 0) return null;
        var records = Records;
        // With several categories the category names the row too: file names repeat across categories.
        var titles = records.Select(r => (Sets.Count > 1 ? r.Category + ":" : "") + $"{r.DefectType}/{Path.GetFileNameWithoutExtension(r.Path)}").ToArray();
        return new RoutingSummary(Sets.SelectMany(s => s.RoutingMask).Select(row => row.Select(v => (double)v).ToArray()).ToArray(),
            ExpertLayout.FromExpertNames(Report.ExpertNames), titles).Validate();
    }

    public void Dispose()
    {
        if (!ownsSets) return;
        foreach (var set in Sets) set.Dispose();
    }
}

/// <summary>Passes predictions through to <see cref="DetectorEvaluation"/> and keeps a copy of each evaluated set.</summary>
sealed class RecordingDetector(IAnomalyDetector inner) : IAnomalyDetector
{
    readonly List<SetPredictions> recorded = [];

    public string Method => inner.Method;
    public IReadOnlyList<string> ExpertNames => inner.ExpertNames;
    public DetectorSettings Settings => inner.Settings;

    public SetPredictions Predict(IReadOnlyList<ImageRecord> records, IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        var predictions = inner.Predict(records, progress, cancellationToken);
        recorded.Add(new SetPredictions(predictions.Records, predictions.Maps.clone(), predictions.Scores, predictions.RoutingMask,
            predictions.ExpertLevelScores, predictions.Threshold));
        return predictions;
    }

    public CategoryCalibration Calibrate(IReadOnlyList<ImageRecord> normals, IProgress<ProgressUpdate>? progress = null) => inner.Calibrate(normals, progress);

    /// <summary>The recorded sets (one per evaluated category, in order), handed over to the caller.</summary>
    public IReadOnlyList<SetPredictions> TakeAll()
    {
        if (recorded.Count == 0) throw new InvalidOperationException("No evaluated set was recorded.");
        var all = recorded.ToList();
        recorded.Clear();
        return all;
    }

    public void Dispose()
    {
        foreach (var p in recorded) p.Dispose();
        recorded.Clear();
        inner.Dispose();
    }
}
