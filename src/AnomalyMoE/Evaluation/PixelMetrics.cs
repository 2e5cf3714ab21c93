using AnomalyMoE.Runtime;

namespace AnomalyMoE.Evaluation;

/// <summary>AUPRO integrated up to one false-positive-rate limit and divided by it.</summary>
public readonly record struct AuproValue(double FprLimit, double Value);

/// <summary>
/// Pixel-level metrics of one map set: AUROC, AP and F1-max over all pixels (<see cref="Binary"/>) and AUPRO
/// at each requested FPR limit, all from one parallel radix sort (normal and anomalous pixels keyed apart, the
/// latter carrying their region) and one sweep over the distinct scores.
/// </summary>
public sealed record PixelMetrics(BinaryMetrics Binary, IReadOnlyList<AuproValue> Aupro)
{
    /// <summary>The usual AUPRO limit (MVTec AD): the PRO curve up to a false positive rate of 30 %.</summary>
    public const double DefaultAuproLimit = 0.3;

    public double Auroc => Binary.Auroc;
    public double AveragePrecision => Binary.AveragePrecision;
    public double F1Max => Binary.F1Max;

    /// <summary>AUPRO at <paramref name="fprLimit"/>, which must be one of the limits it was computed for.</summary>
    public double AuproAt(double fprLimit = DefaultAuproLimit)
    {
        foreach (var value in Aupro)
            if (value.FprLimit == fprLimit) return value.Value;
        throw new ArgumentException($"AUPRO was not computed at FPR limit {fprLimit}; available: {string.Join(", ", Aupro.Select(a => a.FprLimit))}.");
    }

    /// <summary>Computes pixel AUROC, AP, F1-max and AUPRO at each limit in (0, 1] (default 0.3).</summary>
    /// <exception cref="AnomalyMoEException">A NaN score, a limit outside (0, 1], or masks with no anomalous (or no normal) pixel.</exception>
    public static PixelMetrics Compute(PixelMapSet maps, params IReadOnlyList<double> auproLimits)
    {
        var limits = auproLimits.Count == 0 ? [DefaultAuproLimit] : auproLimits.ToArray();
        foreach (var limit in limits)
            if (!(limit > 0 && limit <= 1))
                throw new AnomalyMoEException($"AUPRO FPR limit {limit} is outside (0, 1].");
        var sorted = PixelSortedKeys.Build(maps);
        var area = new ProAreaIntegrator(limits);
        var binary = Sweep(sorted, area, curve: null);
        return new PixelMetrics(binary, limits.Select((l, k) => new AuproValue(l, area.Normalised(k))).ToArray());
    }

    /// <summary>
    /// The whole PRO curve for plots, (0, 0) first and (1, 1) last: one point per distinct anomalous-pixel score,
    /// each preceded by the end of the flat run of normal pixels above it (points inside a flat run are left out).
    /// </summary>
    public static ProCurve ComputeProCurve(PixelMapSet maps)
    {
        var sorted = PixelSortedKeys.Build(maps);
        var curve = new List<(double, double)> { (0, 0) };
        Sweep(sorted, new ProAreaIntegrator([]), curve);
        curve.Add((1, 1));
        return new ProCurve(curve.Select(p => p.Item1).ToArray(), curve.Select(p => p.Item2).ToArray());
    }

    /// <summary>
    /// Lowers the threshold one distinct anomalous-pixel score at a time. Each anomalous pixel adds 1/|its region|
    /// to the summed overlap, so overlap/regions is the mean per-region overlap; each normal pixel adds one false
    /// positive. Normal pixels scoring strictly between two anomalous-pixel scores are taken in one step: the PRO
    /// curve runs flat there, so merging those points leaves its area, and the interpolation at a limit, unchanged.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    static BinaryMetrics Sweep(PixelSortedKeys sorted, ProAreaIntegrator area, List<(double, double)>? curve)
    {
        var normals = sorted.Normals;
        var anomalies = sorted.Anomalies;
        var weights = sorted.RegionWeights;
        var accumulator = new ThresholdAccumulator(anomalies.Length, normals.Length);
        double overlapSum = 0, normalCount = normals.Length, regionCount = weights.Length;

        void AddPoint()
        {
            // As in MVTec AD's compute_pro: rounding may not push values past 1.
            var fpr = Math.Min(1.0, accumulator.FalsePositives / normalCount);
            var pro = Math.Min(1.0, overlapSum / regionCount);
            area.Add(fpr, pro);
            curve?.Add((fpr, pro));
        }

        int i = anomalies.Length - 1, j = normals.Length - 1;
        while (i >= 0)
        {
            var key = HighKey.Key(anomalies[i]);
            var above = j;
            while (j >= 0 && normals[j] > key) j--;
            if (above != j)
            {
                accumulator.AddNegativesOnly(above - j);
                AddPoint();
            }
            var newAnomalous = 0L;
            while (i >= 0 && HighKey.Key(anomalies[i]) == key)
            {
                overlapSum += weights[(uint)anomalies[i]];
                newAnomalous++;
                i--;
            }
            var tied = j;
            while (j >= 0 && normals[j] == key) j--;
            accumulator.Add(key, newAnomalous, tied - j);
            AddPoint();
        }
        if (j >= 0)
        {
            accumulator.AddNegativesOnly(j + 1);
            AddPoint();
        }
        area.Add(1, 1);
        return accumulator.Result();
    }
}

/// <summary>The PRO curve: per-region overlap against the false positive rate over all normal pixels.</summary>
public sealed record ProCurve(double[] FalsePositiveRates, double[] Overlaps)
{
    /// <summary>Trapezoid area up to <paramref name="fprLimit"/> (interpolating at the limit) divided by the limit.</summary>
    public double NormalisedArea(double fprLimit = PixelMetrics.DefaultAuproLimit)
    {
        var area = new ProAreaIntegrator([fprLimit]);
        for (var k = 1; k < FalsePositiveRates.Length; k++) area.Add(FalsePositiveRates[k], Overlaps[k]);
        return area.Normalised(0);
    }
}

/// <summary>
/// Trapezoid integration of a curve that starts at (0, 0) and arrives point by point with non-decreasing x,
/// cut at each limit: the segment that crosses a limit is interpolated linearly up to it
/// (MVTec AD's <c>trapezoid</c> with <c>x_max</c>).
/// </summary>
internal sealed class ProAreaIntegrator(double[] limits)
{
    readonly double[] _areas = new double[limits.Length];
    readonly bool[] _finished = new bool[limits.Length];
    int _open = limits.Length;
    double _x, _y;

    public void Add(double x, double y)
    {
        if (_open > 0)
        {
            for (var k = 0; k < limits.Length; k++)
            {
                if (_finished[k]) continue;
                var limit = limits[k];
                if (x <= limit)
                {
                    _areas[k] += 0.5 * (y + _y) * (x - _x);
                }
                else
                {
                    if (_x < limit)
                    {
                        var atLimit = _y + (y - _y) * (limit - _x) / (x - _x);
                        _areas[k] += 0.5 * (atLimit + _y) * (limit - _x);
                    }
                    _finished[k] = true;
                    _open--;
                }
            }
        }
        _x = x;
        _y = y;
    }

    public double Normalised(int k) => _areas[k] / limits[k];
}

/// <summary>
/// All pixels of a map set as radix-sorted keys: normal pixels as plain keys, anomalous pixels as
/// key (high 32 bits) + global region index (low 32 bits), with 1/|region| per region.
/// </summary>
internal sealed class PixelSortedKeys
{
    public required uint[] Normals { get; init; }
    public required ulong[] Anomalies { get; init; }
    public required double[] RegionWeights { get; init; }

    public static PixelSortedKeys Build(PixelMapSet maps)
    {
        int count = maps.Count, perMap = maps.PixelsPerMap;
        var scores = maps.Scores;
        var masks = maps.Masks;
        var regionSizes = new int[count][];
        var regionOfAnomalous = new int[count][];
        var firstNaN = new int[count];

        Parallel.For(0, count, () => new int[perMap], (map, _, labels) =>
        {
            var offset = map * perMap;
            firstNaN[map] = BinaryMetrics.IndexOfNaN(scores.AsSpan(offset, perMap));
            var regions = ConnectedRegions.Label(masks.AsSpan(offset, perMap), maps.Height, maps.Width, labels);
            var sizes = new int[regions];
            var anomalous = 0;
            foreach (var label in labels)
            {
                if (label == 0) continue;
                sizes[label - 1]++;
                anomalous++;
            }
            var ofAnomalous = new int[anomalous];
            var k = 0;
            foreach (var label in labels)
                if (label != 0) ofAnomalous[k++] = label - 1;
            regionSizes[map] = sizes;
            regionOfAnomalous[map] = ofAnomalous;
            return labels;
        }, _ => { });

        for (var map = 0; map < count; map++)
        {
            if (firstNaN[map] < 0) continue;
            var pixel = firstNaN[map];
            throw new AnomalyMoEException(
                $"Anomaly map {map} has a NaN score at row {pixel / maps.Width}, column {pixel % maps.Width} (flat index {(long)map * perMap + pixel}).");
        }

        var anomalyStarts = new int[count];
        var regionStarts = new int[count];
        int anomalyTotal = 0, regionTotal = 0;
        for (var map = 0; map < count; map++)
        {
            anomalyStarts[map] = anomalyTotal;
            regionStarts[map] = regionTotal;
            anomalyTotal += regionOfAnomalous[map].Length;
            regionTotal += regionSizes[map].Length;
        }
        BinaryMetrics.RequireBothClasses(anomalyTotal, (long)count * perMap - anomalyTotal, "pixels");

        var weights = new double[regionTotal];
        var normals = GC.AllocateUninitializedArray<uint>(count * perMap - anomalyTotal);
        var anomalies = GC.AllocateUninitializedArray<ulong>(anomalyTotal);
        Parallel.For(0, count, map =>
        {
            var sizes = regionSizes[map];
            for (var r = 0; r < sizes.Length; r++) weights[regionStarts[map] + r] = 1.0 / sizes[r];
            var ofAnomalous = regionOfAnomalous[map];
            int offset = map * perMap, a = anomalyStarts[map], n = offset - anomalyStarts[map], k = 0;
            var regionBase = (uint)regionStarts[map];
            for (var p = offset; p < offset + perMap; p++)
            {
                var key = ScoreKeys.ToKey(scores[p]);
                if (masks[p] != 0) anomalies[a++] = ((ulong)key << 32) | (regionBase + (uint)ofAnomalous[k++]);
                else normals[n++] = key;
            }
        });

        return new PixelSortedKeys
        {
            Normals = ParallelRadixSort.Sort<uint, UIntKey>(normals, GC.AllocateUninitializedArray<uint>(normals.Length)),
            Anomalies = ParallelRadixSort.Sort<ulong, HighKey>(anomalies, GC.AllocateUninitializedArray<ulong>(anomalies.Length)),
            RegionWeights = weights,
        };
    }
}
