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
/// One category evaluated by <see cref="DetectorEvaluation"/> (what <c>amoe test</c> writes to the run's <c>reports/</c>),
/// together with the predictions it scored: the fused, smoothed maps <c>[N,1,R,R]</c>, the image scores and the experts
/// each image selected. Owns the maps.
/// </summary>
public sealed class StudyEvaluation(string name, RunDirectory run, EvaluationReport report, SetPredictions predictions) : IDisposable
{
    public string Name { get; } = name;
    public RunDirectory Run { get; } = run;
    public EvaluationReport Report { get; } = report;
    public SetPredictions Predictions { get; } = predictions;

    /// <summary>The evaluated category (the report holds one).</summary>
    public CategoryEvaluation Category => Report.Categories[0];
    public CategoryMetrics Metrics => Category.Metrics;
    public float[] Scores => Predictions.Scores;
    public int[] Labels => Predictions.Records.Select(r => r.Label).ToArray();
    public string ReportDirectory => Run.ReportsDirectory;

    /// <summary>The maps <c>[n,1,R,R]</c> and scores of some of the evaluated images (caller disposes the maps).</summary>
    public (Tensor Maps, double[] Scores) For(IReadOnlyList<ImageRecord> records)
    {
        var index = records.Select(r =>
        {
            for (int i = 0; i < Predictions.Records.Count; i++)
                if (Predictions.Records[i].Path == r.Path) return (long)i;
            throw new AnomalyMoEException($"'{r.Path}' was not evaluated by {Name}.");
        }).ToArray();
        using var positions = tensor(index);
        return (Predictions.Maps.index_select(0, positions), index.Select(i => (double)Scores[i]).ToArray());
    }

    /// <summary>Which experts each test image selected (1) — the routing statistics of the report, per image; null for detectors without experts.</summary>
    public RoutingSummary? Selection()
    {
        if (Report.ExpertNames.Count == 0) return null;
        var titles = Predictions.Records.Select(r => $"{r.DefectType}/{Path.GetFileNameWithoutExtension(r.Path)}").ToArray();
        return new RoutingSummary(Predictions.RoutingMask.Select(row => row.Select(v => (double)v).ToArray()).ToArray(),
            ExpertLayout.FromExpertNames(Report.ExpertNames), titles).Validate();
    }

    public void Dispose() => Predictions.Dispose();
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

    /// <summary>The one recorded set, handed over to the caller.</summary>
    public SetPredictions TakeSingle()
    {
        if (recorded.Count != 1) throw new InvalidOperationException($"Expected one evaluated set, recorded {recorded.Count}.");
        var single = recorded[0];
        recorded.Clear();
        return single;
    }

    public void Dispose()
    {
        foreach (var p in recorded) p.Dispose();
        recorded.Clear();
        inner.Dispose();
    }
}
