using System.Runtime.InteropServices;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// AUROC, average precision and F1-max of one set of scores (higher = more anomalous) against 0/1 labels.
/// AUROC and AP equal scikit-learn's <c>roc_auc_score</c> and <c>average_precision_score</c>: thresholds are the
/// distinct scores, AUROC is the trapezoid area under the ROC curve (ties count half), AP is
/// Σ (R_n − R_{n−1}) P_n. F1-max is the largest F1 over the same thresholds; <see cref="F1Threshold"/> is the
/// score at which it is reached (samples scoring at or above it are called anomalous).
/// </summary>
public readonly record struct BinaryMetrics(double Auroc, double AveragePrecision, double F1Max, float F1Threshold, long Positives, long Negatives)
{
    /// <summary>Computes all three metrics with one parallel sort and one sweep. Labels are 0 (normal) or 1 (anomalous).</summary>
    /// <exception cref="AnomalyMoEException">A NaN score, a label other than 0/1, mismatched lengths or a single class.</exception>
    public static BinaryMetrics Compute(ReadOnlySpan<float> scores, ReadOnlySpan<byte> labels)
    {
        var (positives, negatives) = PartitionKeys(scores, labels);
        var sortedPositives = ParallelRadixSort.Sort<uint, UIntKey>(positives, new uint[positives.Length]);
        var sortedNegatives = ParallelRadixSort.Sort<uint, UIntKey>(negatives, new uint[negatives.Length]);
        return Sweep(sortedPositives, sortedNegatives);
    }

    /// <inheritdoc cref="Compute(ReadOnlySpan{float}, ReadOnlySpan{byte})"/>
    public static BinaryMetrics Compute(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels) =>
        Compute(scores, MemoryMarshal.Cast<bool, byte>(labels));

    /// <summary>Splits scores by label into sort keys, checking every score and label (in parallel).</summary>
    static unsafe (uint[] Positives, uint[] Negatives) PartitionKeys(ReadOnlySpan<float> scores, ReadOnlySpan<byte> labels)
    {
        if (scores.Length != labels.Length)
            throw new AnomalyMoEException($"Scores and labels differ in length: {scores.Length} scores, {labels.Length} labels.");
        var length = scores.Length;
        var chunkCount = Math.Max(1, Math.Min(Environment.ProcessorCount * 4, length / (1 << 16)));
        var positivesPerChunk = new int[chunkCount];
        var firstBad = new int[chunkCount];
        fixed (float* scorePointer = scores)
        fixed (byte* labelPointer = labels)
        {
            nint scoreAddress = (nint)scorePointer, labelAddress = (nint)labelPointer;
            Parallel.For(0, chunkCount, chunk =>
            {
                var (start, end) = ParallelRadixSort.ChunkRange(length, chunkCount, chunk);
                float* s = (float*)scoreAddress;
                byte* l = (byte*)labelAddress;
                var count = 0;
                firstBad[chunk] = -1;
                for (var i = start; i < end; i++)
                {
                    if (float.IsNaN(s[i]) || l[i] > 1) { firstBad[chunk] = i; break; }
                    count += l[i];
                }
                positivesPerChunk[chunk] = count;
            });
            foreach (var bad in firstBad)
            {
                if (bad < 0) continue;
                if (float.IsNaN(scores[bad])) throw new AnomalyMoEException($"Score at index {bad} is NaN; every score must be a number.");
                throw new AnomalyMoEException($"Label at index {bad} is {labels[bad]}; labels must be 0 (normal) or 1 (anomalous).");
            }

            var positiveCount = positivesPerChunk.Sum(c => (long)c);
            RequireBothClasses(positiveCount, length - positiveCount, "samples");
            var positives = new uint[positiveCount];
            var negatives = new uint[length - positiveCount];
            var positiveStarts = new int[chunkCount];
            for (var c = 1; c < chunkCount; c++) positiveStarts[c] = positiveStarts[c - 1] + positivesPerChunk[c - 1];
            Parallel.For(0, chunkCount, chunk =>
            {
                var (start, end) = ParallelRadixSort.ChunkRange(length, chunkCount, chunk);
                float* s = (float*)scoreAddress;
                byte* l = (byte*)labelAddress;
                int p = positiveStarts[chunk], n = start - positiveStarts[chunk];
                for (var i = start; i < end; i++)
                {
                    var key = ScoreKeys.ToKey(s[i]);
                    if (l[i] != 0) positives[p++] = key; else negatives[n++] = key;
                }
            });
            return (positives, negatives);
        }
    }

    internal static void RequireBothClasses(long positives, long negatives, string what)
    {
        if (positives + negatives == 0)
            throw new AnomalyMoEException($"No {what} given; AUROC, AP and F1-max need both normal and anomalous {what}.");
        if (positives == 0)
            throw new AnomalyMoEException($"Only one class present: all {negatives} {what} are normal (label 0); AUROC, AP and F1-max need both classes.");
        if (negatives == 0)
            throw new AnomalyMoEException($"Only one class present: all {positives} {what} are anomalous (label 1); AUROC, AP and F1-max need both classes.");
    }

    /// <summary>Walks both ascending key arrays from the top, one step per distinct score.</summary>
    static BinaryMetrics Sweep(uint[] positives, uint[] negatives)
    {
        var accumulator = new ThresholdAccumulator(positives.Length, negatives.Length);
        int i = positives.Length - 1, j = negatives.Length - 1;
        while (i >= 0 || j >= 0)
        {
            var key = i < 0 ? negatives[j] : j < 0 ? positives[i] : Math.Max(positives[i], negatives[j]);
            var newPositives = 0L;
            while (i >= 0 && positives[i] == key) { newPositives++; i--; }
            var newNegatives = 0L;
            while (j >= 0 && negatives[j] == key) { newNegatives++; j--; }
            accumulator.Add(key, newPositives, newNegatives);
        }
        return accumulator.Result();
    }
}

/// <summary>
/// Accumulates AUROC, AP and F1-max while thresholds are lowered one distinct score at a time.
/// AUROC is kept as an exact integer (twice the trapezoid area in units of one positive × one negative).
/// </summary>
internal struct ThresholdAccumulator(long positives, long negatives)
{
    long _truePositives;
    long _falsePositives;
    ulong _twiceAreaUnits;
    double _precisionSum;
    double _bestF1 = -1;
    uint _bestKey;

    public readonly long TruePositives => _truePositives;
    public readonly long FalsePositives => _falsePositives;

    public void Add(uint key, long newPositives, long newNegatives)
    {
        var previousTruePositives = _truePositives;
        _truePositives += newPositives;
        _falsePositives += newNegatives;
        _twiceAreaUnits += (ulong)newNegatives * (ulong)(previousTruePositives + _truePositives);
        if (newPositives > 0) _precisionSum += newPositives * ((double)_truePositives / (_truePositives + _falsePositives));
        // F1 = 2PR/(P+R) = 2TP/(TP+FP+positives); zero when TP is zero, as with scikit-learn's curve.
        var f1 = 2.0 * _truePositives / (_truePositives + _falsePositives + positives);
        if (f1 > _bestF1) { _bestF1 = f1; _bestKey = key; }
    }

    public readonly BinaryMetrics Result() => new(
        Auroc: _twiceAreaUnits / (2.0 * positives * negatives),
        AveragePrecision: _precisionSum / positives,
        F1Max: _bestF1,
        F1Threshold: ScoreKeys.ToScore(_bestKey),
        Positives: positives,
        Negatives: negatives);
}
