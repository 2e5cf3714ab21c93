using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Tests.Evaluation;

public class BinaryMetricsTests
{
    const double Tolerance = 1e-9;

    [Theory]
    [MemberData(nameof(MetricsGolden.BinaryNames), MemberType = typeof(MetricsGolden))]
    public void Matches_scikit_learn_golden_values(string name)
    {
        var golden = MetricsGolden.Binary.Single(c => c.Name == name);

        var metrics = BinaryMetrics.Compute(golden.Scores, golden.Labels);

        Assert.Equal(golden.Auroc, metrics.Auroc, Tolerance);
        Assert.Equal(golden.Ap, metrics.AveragePrecision, Tolerance);
        Assert.Equal(golden.F1Max, metrics.F1Max, Tolerance);
    }

    [Theory]
    [InlineData(200_000, 0.05, 0)]
    [InlineData(300_001, 0.5, 1)]
    [InlineData(150_000, 0.001, 2)]
    [InlineData(1_200_000, 0.2, 3)]
    public void Parallel_sort_and_sweep_match_a_plain_reference_on_large_tied_inputs(int n, double positiveFraction, int seed)
    {
        var random = new Random(seed);
        var labels = new byte[n];
        var scores = new float[n];
        for (var i = 0; i < n; i++)
        {
            labels[i] = random.NextDouble() < positiveFraction ? (byte)1 : (byte)0;
            // Rounding makes heavy ties; the sign flip mixes negative scores, -0 and +0.
            var value = MathF.Round((float)(random.NextDouble() * 4 - 2 + labels[i]), 2);
            scores[i] = value == 0 && random.Next(2) == 0 ? -0f : value;
        }
        labels[0] = 1;
        labels[1] = 0;

        var metrics = BinaryMetrics.Compute(scores, labels);
        var (auroc, ap, f1) = ReferenceMetrics(scores, labels);

        Assert.Equal(auroc, metrics.Auroc, Tolerance);
        Assert.Equal(ap, metrics.AveragePrecision, Tolerance);
        Assert.Equal(f1, metrics.F1Max, Tolerance);
        Assert.Equal(labels.Count(l => l == 1), metrics.Positives);
    }

    [Fact]
    public void F1_threshold_is_the_score_where_F1_max_is_reached()
    {
        float[] scores = [0.1f, 0.4f, 0.35f, 0.8f, 0.9f];
        byte[] labels = [0, 0, 1, 1, 1];

        var metrics = BinaryMetrics.Compute(scores, labels);

        // At 0.35: TP 3, FP 1 (the 0.4), FN 0 → F1 = 6/7, above 0.8 at the threshold 0.8.
        Assert.Equal(6.0 / 7, metrics.F1Max, Tolerance);
        Assert.Equal(0.35f, metrics.F1Threshold);
    }

    [Fact]
    public void Bool_labels_give_the_same_result_as_byte_labels()
    {
        float[] scores = [0.3f, 0.1f, 0.7f, 0.2f];
        var fromBytes = BinaryMetrics.Compute(scores, [1, 0, 1, 0]);
        var fromBools = BinaryMetrics.Compute(scores, [true, false, true, false]);
        Assert.Equal(fromBytes, fromBools);
    }

    [Fact]
    public void Infinite_scores_are_ordered_like_any_other_score()
    {
        var metrics = BinaryMetrics.Compute([float.NegativeInfinity, 0f, float.PositiveInfinity, 1f], [0, 0, 1, 1]);
        Assert.Equal(1.0, metrics.Auroc, Tolerance);
    }

    [Fact]
    public void NaN_score_is_an_error_naming_its_index()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => BinaryMetrics.Compute([0.1f, 0.2f, float.NaN, 0.4f], [0, 1, 0, 1]));
        Assert.Contains("index 2", e.Message);
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void NaN_in_a_large_input_reports_the_first_NaN_index()
    {
        var scores = new float[500_000];
        var labels = new byte[scores.Length];
        labels[7] = 1;
        scores[400_123] = float.NaN;
        scores[300_456] = float.NaN;
        var e = Assert.Throws<AnomalyMoEException>(() => BinaryMetrics.Compute(scores, labels));
        Assert.Contains("index 300456", e.Message);
    }

    [Theory]
    [InlineData((byte)0, "normal")]
    [InlineData((byte)1, "anomalous")]
    public void Single_class_is_an_error_naming_the_class(byte label, string className)
    {
        var e = Assert.Throws<AnomalyMoEException>(() => BinaryMetrics.Compute([0.1f, 0.5f, 0.9f], [label, label, label]));
        Assert.Contains("Only one class", e.Message);
        Assert.Contains(className, e.Message);
    }

    [Fact]
    public void Label_other_than_zero_or_one_is_an_error_naming_its_index()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => BinaryMetrics.Compute([0.1f, 0.5f, 0.9f], [0, 2, 1]));
        Assert.Contains("index 1", e.Message);
    }

    [Fact]
    public void Mismatched_lengths_are_an_error()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => BinaryMetrics.Compute([0.1f, 0.5f], [0, 1, 1]));
        Assert.Contains("2 scores, 3 labels", e.Message);
    }

    [Fact]
    public void Empty_input_is_an_error()
    {
        Assert.Throws<AnomalyMoEException>(() => BinaryMetrics.Compute(ReadOnlySpan<float>.Empty, ReadOnlySpan<byte>.Empty));
    }

    /// <summary>scikit-learn's definitions written out directly: comparison sort, then a double-precision sweep.</summary>
    internal static (double Auroc, double Ap, double F1) ReferenceMetrics(float[] scores, byte[] labels)
    {
        var order = Enumerable.Range(0, scores.Length).ToArray();
        var sortKeys = scores.Select(s => -(double)s).ToArray();
        Array.Sort(sortKeys, order);
        double positives = labels.Count(l => l == 1), negatives = labels.Length - positives;
        double tp = 0, fp = 0, area = 0, ap = 0, f1 = 0, previousTpr = 0, previousFpr = 0, previousRecall = 0;
        for (var k = 0; k < order.Length; k++)
        {
            if (labels[order[k]] == 1) tp++; else fp++;
            if (k + 1 < order.Length && scores[order[k + 1]] == scores[order[k]]) continue;
            double tpr = tp / positives, fpr = fp / negatives, precision = tp / (tp + fp), recall = tp / positives;
            area += (fpr - previousFpr) * (tpr + previousTpr) / 2;
            ap += (recall - previousRecall) * precision;
            if (precision + recall > 0) f1 = Math.Max(f1, 2 * precision * recall / (precision + recall));
            (previousTpr, previousFpr, previousRecall) = (tpr, fpr, recall);
        }
        return (area, ap, f1);
    }
}
