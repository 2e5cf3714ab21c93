using System.Runtime.CompilerServices;
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
    /// <summary>
    /// Computes all three metrics: the scores of each class become order-preserving keys, each class is
    /// radix-sorted on all cores, and one sweep over both sorted arrays yields every metric.
    /// Labels are 0 (normal) or 1 (anomalous).
    /// </summary>
    /// <exception cref="AnomalyMoEException">A NaN score, a label other than 0/1, mismatched lengths or a single class.</exception>
    public static BinaryMetrics Compute(ReadOnlySpan<float> scores, ReadOnlySpan<byte> labels)
    {
        var (positives, negatives) = PartitionKeys(scores, labels);
        var sortedPositives = ParallelRadixSort.Sort<uint, UIntKey>(positives, GC.AllocateUninitializedArray<uint>(positives.Length));
        var sortedNegatives = ParallelRadixSort.Sort<uint, UIntKey>(negatives, GC.AllocateUninitializedArray<uint>(negatives.Length));
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
                var chunkLabels = new ReadOnlySpan<byte>((byte*)labelAddress + start, end - start);
                var badLabel = chunkLabels.IndexOfAnyExcept((byte)0, (byte)1);
                var nan = IndexOfNaN(new ReadOnlySpan<float>((float*)scoreAddress + start, end - start));
                var bad = badLabel < 0 ? nan : nan < 0 ? badLabel : Math.Min(nan, badLabel);
                firstBad[chunk] = bad < 0 ? -1 : start + bad;
                positivesPerChunk[chunk] = chunkLabels.Count((byte)1);
            });
            foreach (var bad in firstBad)
            {
                if (bad < 0) continue;
                if (float.IsNaN(scores[bad])) throw new AnomalyMoEException($"Score at index {bad} is NaN; every score must be a number.");
                throw new AnomalyMoEException($"Label at index {bad} is {labels[bad]}; labels must be 0 (normal) or 1 (anomalous).");
            }

            var positiveCount = positivesPerChunk.Sum(c => (long)c);
            RequireBothClasses(positiveCount, length - positiveCount, "samples");
            var positives = GC.AllocateUninitializedArray<uint>((int)positiveCount);
            var negatives = GC.AllocateUninitializedArray<uint>((int)(length - positiveCount));
            var positiveStarts = new int[chunkCount];
            for (var c = 1; c < chunkCount; c++) positiveStarts[c] = positiveStarts[c - 1] + positivesPerChunk[c - 1];
            Parallel.For(0, chunkCount, chunk =>
            {
                var (start, end) = ParallelRadixSort.ChunkRange(length, chunkCount, chunk);
                fixed (uint* positiveKeys = positives)
                fixed (uint* negativeKeys = negatives)
                    SplitKeys((float*)scoreAddress, (byte*)labelAddress, start, end,
                        positiveKeys + positiveStarts[chunk], negativeKeys + (start - positiveStarts[chunk]));
            });
            return (positives, negatives);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void SplitKeys(float* scores, byte* labels, int start, int end, uint* positives, uint* negatives)
    {
        for (var i = start; i < end; i++)
        {
            var key = ScoreKeys.ToKey(scores[i]);
            if (labels[i] != 0) *positives++ = key; else *negatives++ = key;
        }
    }

    /// <summary>Index of the first NaN, -1 if none; vectorised (NaN is the only value not equal to itself).</summary>
    internal static int IndexOfNaN(ReadOnlySpan<float> values)
    {
        var i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var width = System.Numerics.Vector<float>.Count;
            for (; i + width <= values.Length; i += width)
            {
                var v = new System.Numerics.Vector<float>(values.Slice(i, width));
                if (!System.Numerics.Vector.EqualsAll(v, v)) break;
            }
        }
        for (; i < values.Length; i++)
            if (float.IsNaN(values[i])) return i;
        return -1;
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

    const int ParallelSweepMinimum = 1 << 20;

    /// <summary>
    /// Walks both ascending key arrays from the top, one step per distinct positive score; the negatives
    /// scoring strictly between two positive scores are taken in one step, since thresholds that add only
    /// negatives leave recall (so AP) unchanged and only lower F1, and their AUROC area is one rectangle.
    /// Large inputs are cut at key boundaries into one segment per core; a segment starts from the counts
    /// above it, so the segments run at once and their sums add up (F1-max: the highest threshold wins ties,
    /// as in one sweep).
    /// </summary>
    static BinaryMetrics Sweep(uint[] positives, uint[] negatives)
    {
        var segmentCount = positives.Length + negatives.Length >= ParallelSweepMinimum ? Environment.ProcessorCount : 1;
        var longer = positives.Length >= negatives.Length ? positives : negatives;
        var positiveCuts = new int[segmentCount + 1];
        var negativeCuts = new int[segmentCount + 1];
        positiveCuts[segmentCount] = positives.Length;
        negativeCuts[segmentCount] = negatives.Length;
        for (var s = 1; s < segmentCount; s++)
        {
            var splitKey = longer[(int)((long)longer.Length * s / segmentCount)];
            positiveCuts[s] = LowerBound(positives, splitKey);
            negativeCuts[s] = LowerBound(negatives, splitKey);
        }

        var segments = new ThresholdAccumulator[segmentCount];
        Parallel.For(0, segmentCount, s => segments[s] = SweepSegment(positives, negatives,
            positiveCuts[s], positiveCuts[s + 1], negativeCuts[s], negativeCuts[s + 1]));

        var total = segments[segmentCount - 1];
        for (var s = segmentCount - 2; s >= 0; s--) total = total.FollowedBy(segments[s]);
        return total.Result();
    }

    /// <summary>Sweeps the keys in [positiveStart, positiveEnd) and [negativeStart, negativeEnd), starting from the counts above them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static ThresholdAccumulator SweepSegment(uint[] positives, uint[] negatives, int positiveStart, int positiveEnd, int negativeStart, int negativeEnd)
    {
        var accumulator = new ThresholdAccumulator(positives.Length, negatives.Length,
            truePositives: positives.Length - positiveEnd, falsePositives: negatives.Length - negativeEnd);
        int i = positiveEnd - 1, j = negativeEnd - 1;
        while (i >= positiveStart)
        {
            var key = positives[i];
            var above = j;
            while (j >= negativeStart && negatives[j] > key) j--;
            accumulator.AddNegativesOnly(above - j);
            var newPositives = 0L;
            while (i >= positiveStart && positives[i] == key) { newPositives++; i--; }
            var tied = j;
            while (j >= negativeStart && negatives[j] == key) j--;
            accumulator.Add(key, newPositives, tied - j);
        }
        accumulator.AddNegativesOnly(j - negativeStart + 1);
        return accumulator;
    }

    /// <summary>First index whose key is at least <paramref name="key"/>.</summary>
    internal static int LowerBound(uint[] sorted, uint key)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var mid = (int)(((uint)low + (uint)high) >> 1);
            if (sorted[mid] < key) low = mid + 1; else high = mid;
        }
        return low;
    }
}

/// <summary>
/// Accumulates AUROC, AP and F1-max while thresholds are lowered one distinct score (or one run of
/// negatives-only scores) at a time.
/// AUROC is kept as an exact integer (twice the trapezoid area in units of one positive × one negative).
/// </summary>
internal struct ThresholdAccumulator(long positives, long negatives, long truePositives = 0, long falsePositives = 0)
{
    long _truePositives = truePositives;
    long _falsePositives = falsePositives;
    ulong _twiceAreaUnits;
    double _precisionSum;
    double _bestF1 = -1;
    uint _bestKey;

    public readonly long TruePositives => _truePositives;
    public readonly long FalsePositives => _falsePositives;

    /// <summary>Lowers the threshold past negatives only: the ROC curve runs flat, precision only falls.</summary>
    public void AddNegativesOnly(long newNegatives)
    {
        _twiceAreaUnits += (ulong)newNegatives * 2 * (ulong)_truePositives;
        _falsePositives += newNegatives;
    }

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

    /// <summary>This segment's sums joined with those of the segment of lower scores swept after it.</summary>
    public readonly ThresholdAccumulator FollowedBy(ThresholdAccumulator lower)
    {
        var joined = lower;
        joined._twiceAreaUnits += _twiceAreaUnits;
        joined._precisionSum += _precisionSum;
        if (_bestF1 >= lower._bestF1) (joined._bestF1, joined._bestKey) = (_bestF1, _bestKey);
        return joined;
    }

    public readonly BinaryMetrics Result() => new(
        Auroc: _twiceAreaUnits / (2.0 * positives * negatives),
        AveragePrecision: _precisionSum / positives,
        F1Max: _bestF1,
        F1Threshold: ScoreKeys.ToScore(_bestKey),
        Positives: positives,
        Negatives: negatives);
}
