using System.Text.Json;
using AnomalyMoE.Runtime;
using SkiaSharp;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// One entry of MVTec LOCO's <c>defects_config.json</c>: the defect whose region masks carry
/// <paramref name="PixelValue"/>, and when its overlap saturates — after <paramref name="SaturationThreshold"/>
/// pixels, or after that fraction of the region's area when <paramref name="RelativeSaturation"/> is true.
/// </summary>
public sealed record LocoDefectConfig(string DefectName, int PixelValue, double SaturationThreshold, bool RelativeSaturation)
{
    public void Validate()
    {
        if (PixelValue is < 1 or > 255) throw new ArgumentException($"Defect '{DefectName}': pixel_value must be 1…255, got {PixelValue}.");
        if (RelativeSaturation && SaturationThreshold is <= 0 or > 1)
            throw new ArgumentException($"Defect '{DefectName}': a relative saturation_threshold must be in (0, 1], got {SaturationThreshold}.");
        if (!RelativeSaturation && (SaturationThreshold < 1 || SaturationThreshold != Math.Floor(SaturationThreshold)))
            throw new ArgumentException($"Defect '{DefectName}': an absolute saturation_threshold must be a whole number of pixels ≥ 1, got {SaturationThreshold}.");
    }

    /// <summary>
    /// The true-positive area at which this region's sPRO reaches 1, as the official evaluation computes it:
    /// <c>int(threshold · area)</c> when relative, else <c>min(threshold, area)</c>. Kept at least one pixel, where
    /// the official code would divide by zero.
    /// </summary>
    public long SaturationArea(long regionArea) => Math.Max(1, RelativeSaturation
        ? (long)(SaturationThreshold * regionArea)
        : Math.Min((long)SaturationThreshold, regionArea));
}

/// <summary>A category's <c>defects_config.json</c>, by pixel value.</summary>
public sealed class LocoDefectsConfig
{
    public IReadOnlyDictionary<int, LocoDefectConfig> ByPixelValue { get; }

    public LocoDefectsConfig(IEnumerable<LocoDefectConfig> entries)
    {
        var map = new Dictionary<int, LocoDefectConfig>();
        foreach (var e in entries)
        {
            e.Validate();
            if (!map.TryAdd(e.PixelValue, e)) throw new ArgumentException($"Two defects use pixel value {e.PixelValue}.");
        }
        ByPixelValue = map;
    }

    public static LocoDefectsConfig Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or ArgumentException or KeyNotFoundException or InvalidOperationException)
        {
            throw new AnomalyMoEException($"{path} is not a valid MVTec LOCO defects_config.json: {e.Message}", e);
        }
    }

    /// <summary>Parses the JSON list of <c>{defect_name, pixel_value, saturation_threshold, relative_saturation}</c> objects.</summary>
    public static LocoDefectsConfig Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new ArgumentException("expected a JSON list of defect entries.");
        return new LocoDefectsConfig(doc.RootElement.EnumerateArray().Select(e => new LocoDefectConfig(
            e.GetProperty("defect_name").GetString() ?? "",
            e.GetProperty("pixel_value").GetInt32(),
            e.GetProperty("saturation_threshold").GetDouble(),
            e.GetProperty("relative_saturation").GetBoolean())));
    }

    public LocoDefectConfig For(int pixelValue, string where) => ByPixelValue.TryGetValue(pixelValue, out var c)
        ? c
        : throw new AnomalyMoEException($"{where}: pixel value {pixelValue} is not in defects_config.json.");
}

/// <summary>One annotated defect region of an image (one mask file of MVTec LOCO's ground-truth folder).</summary>
public sealed record LocoRegion(bool[] Mask, LocoDefectConfig Defect)
{
    public long Area { get; } = Mask.LongCount(m => m);
}

/// <summary>The ground truth of one test image: its regions (none for a good image) at the map's resolution.</summary>
public sealed record LocoGroundTruth(int Width, int Height, IReadOnlyList<LocoRegion> Regions)
{
    public static LocoGroundTruth Good(int width, int height) => new(width, height, []);

    /// <summary>
    /// Reads an original MVTec LOCO ground-truth folder (<c>ground_truth/&lt;defect&gt;/&lt;id&gt;/000.png…</c>, kept by the
    /// converter): each PNG is one region whose single non-zero value names its defect in <paramref name="config"/>.
    /// </summary>
    public static LocoGroundTruth ReadFolder(string folder, LocoDefectsConfig config)
    {
        var files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.png").Order(StringComparer.Ordinal).ToList() : [];
        if (files.Count == 0) throw new AnomalyMoEException($"{folder} holds no ground-truth PNG.");
        int width = 0, height = 0;
        var regions = new List<LocoRegion>();
        foreach (var file in files)
        {
            using var codec = SKCodec.Create(file) ?? throw new AnomalyMoEException($"{file} is not a readable image.");
            var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Gray8, SKAlphaType.Opaque);
            using var bitmap = new SKBitmap(info);
            if (codec.GetPixels(info, bitmap.GetPixels()) != SKCodecResult.Success) throw new AnomalyMoEException($"{file} could not be decoded.");
            var bytes = bitmap.Bytes;
            if (regions.Count == 0) (width, height) = (info.Width, info.Height);
            else if (info.Width != width || info.Height != height)
                throw new AnomalyMoEException($"{file} is {info.Width}×{info.Height}, the other masks of {folder} are {width}×{height}.");
            var values = bytes.Where(b => b != 0).Distinct().ToList();
            if (values.Count != 1)
                throw new AnomalyMoEException($"{file}: a LOCO region mask holds exactly one non-zero value, found {values.Count}.");
            regions.Add(new LocoRegion(bytes.Select(b => b != 0).ToArray(), config.For(values[0], file)));
        }
        return new LocoGroundTruth(width, height, regions);
    }
}

/// <summary>One test image for sPRO: its defect type folder (<c>good</c>, <c>logical_anomalies</c>, <c>structural_anomalies</c>), anomaly map and ground truth.</summary>
public sealed record LocoSample(string DefectType, float[] AnomalyMap, LocoGroundTruth GroundTruth);

/// <summary>The FPR–mean-sPRO curve, thresholds descending (first point FPR 0, last FPR 1).</summary>
public sealed record SproCurve(double[] Thresholds, double[] FalsePositiveRates, double[] MeanSpros, int Regions);

/// <summary>AUC-sPRO for all test images and for each anomaly type (with the good images), plus image AUROC per type.</summary>
public sealed record LocoReport(
    IReadOnlyDictionary<double, double> AucSproAll, IReadOnlyDictionary<double, double> AucSproLogical,
    IReadOnlyDictionary<double, double> AucSproStructural, LocoImageAuroc ImageAuroc);

/// <summary>
/// MVTec LOCO AD's saturated per-region overlap (sPRO, Bergmann et al., IJCV 2022), following the official
/// evaluation: a region's sPRO at a threshold is <c>min(TP area / saturation area, 1)</c>; the curve averages
/// sPRO over every region of every image and pairs it with the FPR over all pixels that lie in no region of
/// their image; AUC-sPRO integrates it by the trapezoidal rule up to a maximum FPR (0.05 by default, the paper's
/// number), interpolating at the limit, and divides by that limit. Binarisation is <c>score &gt; threshold</c>.
/// Thresholds are all distinct scores when there are at most <c>maxThresholds</c> of them (exact curve), otherwise
/// score quantiles — the official code refines 50 quantile thresholds adaptively instead.
/// </summary>
public static class LocoSpro
{
    public const double DefaultMaxFpr = 0.05;
    public const string Good = "good", Logical = "logical_anomalies", Structural = "structural_anomalies";

    /// <summary>The sPRO of one region at one threshold (the official <c>get_spro</c>).</summary>
    public static double Spro(LocoRegion region, float[] anomalyMap, double threshold)
    {
        long tp = 0;
        for (int i = 0; i < anomalyMap.Length; i++) if (region.Mask[i] && anomalyMap[i] > threshold) tp++;
        return Math.Min((double)tp / region.Defect.SaturationArea(region.Area), 1.0);
    }

    /// <summary>The FPR–sPRO curve over the given images.</summary>
    public static SproCurve Curve(IReadOnlyList<LocoSample> samples, int maxThresholds = 20_000)
    {
        var thresholds = ChooseThresholds(samples, maxThresholds);
        return CurveAt(samples, thresholds);
    }

    /// <summary>The curve at explicit thresholds (sorted descending by this method); +∞ and −∞ end points are added.</summary>
    public static SproCurve CurveAt(IReadOnlyList<LocoSample> samples, IEnumerable<double> thresholds)
    {
        var t = thresholds.Where(x => !double.IsNaN(x)).Distinct().OrderDescending().ToList();
        t.Insert(0, double.PositiveInfinity);
        t.Add(double.NegativeInfinity);
        var th = t.ToArray();
        int n = th.Length;
        var fp = new long[n];
        var sproSum = new double[n];
        long negatives = 0;
        int regions = 0;
        var tpBuckets = new long[n];
        foreach (var sample in samples)
        {
            Check(sample);
            var map = sample.AnomalyMap;
            var union = new bool[map.Length];
            foreach (var r in sample.GroundTruth.Regions) for (int i = 0; i < union.Length; i++) union[i] |= r.Mask[i];
            var firstPositive = new int[map.Length];
            var fpBuckets = new long[n];
            for (int i = 0; i < map.Length; i++)
            {
                firstPositive[i] = FirstThresholdBelow(th, map[i]);
                if (!union[i]) { fpBuckets[firstPositive[i]]++; negatives++; }
            }
            Accumulate(fpBuckets, fp);
            foreach (var region in sample.GroundTruth.Regions)
            {
                Array.Clear(tpBuckets);
                for (int i = 0; i < map.Length; i++) if (region.Mask[i]) tpBuckets[firstPositive[i]]++;
                double saturation = region.Defect.SaturationArea(region.Area);
                long tp = 0;
                for (int k = 0; k < n; k++)
                {
                    tp += tpBuckets[k];
                    sproSum[k] += Math.Min(tp / saturation, 1.0);
                }
                regions++;
            }
        }
        if (negatives == 0) throw new ArgumentException("No pixel outside the defect regions: the false-positive rate is undefined.");
        var fpr = new double[n];
        var spro = new double[n];
        for (int k = 0; k < n; k++)
        {
            fpr[k] = (double)fp[k] / negatives;
            spro[k] = regions == 0 ? double.NaN : sproSum[k] / regions;
        }
        return new SproCurve(th, fpr, spro, regions);
    }

    /// <summary>Area under the curve up to <paramref name="maxFpr"/>, divided by it (the official <c>get_auc_for_max_fpr</c>).</summary>
    public static double AucSpro(SproCurve curve, double maxFpr = DefaultMaxFpr)
    {
        if (maxFpr is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(maxFpr), maxFpr, "The maximum FPR must be in (0, 1].");
        if (curve.Regions == 0) return double.NaN;
        return TrapezoidUpTo(curve.FalsePositiveRates, curve.MeanSpros, maxFpr) / maxFpr;
    }

    /// <summary>
    /// AUC-sPRO at each limit for all images and per anomaly type (that type's images with the good ones, as the
    /// official evaluation reduces the image set), and image AUROC per type from <paramref name="imageScores"/>.
    /// </summary>
    public static LocoReport Evaluate(IReadOnlyList<LocoSample> samples, IReadOnlyList<double> imageScores,
        IReadOnlyList<double>? maxFprs = null, int maxThresholds = 20_000)
    {
        if (imageScores.Count != samples.Count)
            throw new ArgumentException($"{samples.Count} samples but {imageScores.Count} image scores.");
        var limits = maxFprs ?? [DefaultMaxFpr];
        IReadOnlyDictionary<double, double> Aucs(IReadOnlyList<LocoSample> subset)
        {
            if (!subset.Any(s => s.GroundTruth.Regions.Count > 0)) return limits.ToDictionary(l => l, _ => double.NaN);
            var curve = Curve(subset, maxThresholds);
            return limits.ToDictionary(l => l, l => AucSpro(curve, l));
        }
        var logical = samples.Where(s => s.DefectType is Good or Logical).ToList();
        var structural = samples.Where(s => s.DefectType is Good or Structural).ToList();
        var auroc = LocoImageAuroc.Compute(samples.Select((s, i) => (s.DefectType, imageScores[i])).ToList());
        return new LocoReport(Aucs(samples), Aucs(logical), Aucs(structural), auroc);
    }

    /// <summary>The official <c>trapz</c>: trapezoidal area of y over ascending x up to x_max, interpolating y at x_max.</summary>
    internal static double TrapezoidUpTo(double[] xDescendingThresholdOrder, double[] yDescendingThresholdOrder, double xMax)
    {
        // Curves are stored in descending-threshold order, which is ascending FPR.
        var pairs = xDescendingThresholdOrder.Zip(yDescendingThresholdOrder).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToArray();
        var x = pairs.Select(p => p.First).ToArray();
        var y = pairs.Select(p => p.Second).ToArray();
        double correction = 0;
        if (Array.IndexOf(x, xMax) < 0)
        {
            int ins = 0;
            while (ins < x.Length && x[ins] <= xMax) ins++; // bisect_right
            if (ins == 0 || ins == x.Length) throw new ArgumentException($"The maximum FPR {xMax} lies outside the curve's FPR range.");
            double yInterp = y[ins - 1] + (y[ins] - y[ins - 1]) * (xMax - x[ins - 1]) / (x[ins] - x[ins - 1]);
            correction = 0.5 * (yInterp + y[ins - 1]) * (xMax - x[ins - 1]);
        }
        double area = 0;
        int last = -1;
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] > xMax) continue;
            if (last >= 0) area += 0.5 * (y[i] + y[last]) * (x[i] - x[last]);
            last = i;
        }
        return area + correction;
    }

    static void Check(LocoSample s)
    {
        var gt = s.GroundTruth;
        if (s.AnomalyMap.Length != gt.Width * gt.Height)
            throw new ArgumentException($"An anomaly map has {s.AnomalyMap.Length} values but its ground truth is {gt.Width}×{gt.Height}; resize the map to the mask size first.");
        foreach (var r in gt.Regions)
            if (r.Mask.Length != s.AnomalyMap.Length) throw new ArgumentException("A region mask differs in size from its anomaly map.");
    }

    static void Accumulate(long[] buckets, long[] cumulativeTotals)
    {
        long running = 0;
        for (int k = 0; k < buckets.Length; k++) { running += buckets[k]; cumulativeTotals[k] += running; }
    }

    /// <summary>The first index k (thresholds descending) with thresholds[k] &lt; score: the pixel is positive from k on.</summary>
    static int FirstThresholdBelow(double[] thresholds, float score)
    {
        int lo = 0, hi = thresholds.Length - 1; // thresholds[^1] is −∞, so an answer exists
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (thresholds[mid] < score) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    static List<double> ChooseThresholds(IReadOnlyList<LocoSample> samples, int maxThresholds)
    {
        if (maxThresholds < 2) throw new ArgumentOutOfRangeException(nameof(maxThresholds), maxThresholds, "At least 2 thresholds are needed.");
        var distinct = new HashSet<float>();
        foreach (var s in samples)
        {
            foreach (var v in s.AnomalyMap)
            {
                if (float.IsNaN(v)) throw new ArgumentException("An anomaly map contains NaN.");
                distinct.Add(v);
                if (distinct.Count > maxThresholds) return QuantileThresholds(samples, maxThresholds);
            }
        }
        return distinct.Select(v => (double)v).ToList();
    }

    static List<double> QuantileThresholds(IReadOnlyList<LocoSample> samples, int count)
    {
        const int maxSampled = 10_000_000;
        long total = samples.Sum(s => (long)s.AnomalyMap.Length);
        int stride = (int)Math.Max(1, total / maxSampled);
        var sampled = new List<float>();
        long index = 0;
        foreach (var s in samples)
            foreach (var v in s.AnomalyMap)
                if (index++ % stride == 0) sampled.Add(v);
        sampled.Sort();
        var result = new List<double>(count);
        for (int i = 0; i < count; i++) result.Add(sampled[(int)((long)i * (sampled.Count - 1) / (count - 1))]);
        return result;
    }
}

/// <summary>Image AUROC of MVTec LOCO: good test images against each anomaly type, their mean, and against all anomalies.</summary>
public sealed record LocoImageAuroc(double Logical, double Structural, double Mean, double All)
{
    /// <summary>Scores by defect-type folder (<c>good</c>, <c>logical_anomalies</c>, <c>structural_anomalies</c>).</summary>
    public static LocoImageAuroc Compute(IReadOnlyList<(string DefectType, double Score)> scores)
    {
        var unknown = scores.Select(s => s.DefectType).Distinct().Where(d => d is not (LocoSpro.Good or LocoSpro.Logical or LocoSpro.Structural)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown MVTec LOCO defect type(s) {string.Join(", ", unknown)}: expected good, logical_anomalies or structural_anomalies.");
        var good = scores.Where(s => s.DefectType == LocoSpro.Good).Select(s => s.Score).ToList();
        var logical = scores.Where(s => s.DefectType == LocoSpro.Logical).Select(s => s.Score).ToList();
        var structural = scores.Where(s => s.DefectType == LocoSpro.Structural).Select(s => s.Score).ToList();
        double l = RankAuroc.Compute(good, logical), st = RankAuroc.Compute(good, structural);
        return new LocoImageAuroc(l, st, (l + st) / 2, RankAuroc.Compute(good, logical.Concat(structural).ToList()));
    }
}
