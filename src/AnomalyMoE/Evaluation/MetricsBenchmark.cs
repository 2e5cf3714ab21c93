using System.Diagnostics;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// Timings of the metric code on synthetic data: wall-clock medians over the timed runs (after one untimed
/// warm-up), and the process CPU time of each run, which shows the work done when other processes share the cores.
/// </summary>
public sealed record MetricsBenchmarkResult(
    long N,
    int Seed,
    int Runs,
    int Cores,
    double BinarySeconds,
    IReadOnlyList<double> BinaryRunSeconds,
    IReadOnlyList<double> BinaryRunCpuSeconds,
    double? PixelSeconds,
    IReadOnlyList<double>? PixelRunSeconds,
    IReadOnlyList<double>? PixelRunCpuSeconds,
    int PixelMaps,
    int PixelMapSize,
    BinaryMetrics Binary,
    PixelMetrics? Pixel);

/// <summary>
/// Measures AUROC + AP + F1-max together on N synthetic scores, and the full pixel metric set (AUROC, AP,
/// F1-max and AUPRO at 0.3 and 0.01 from one sort) on synthetic 256×256 anomaly maps holding about N pixels.
/// </summary>
public static class MetricsBenchmark
{
    /// <summary>Fraction of anomalous samples in the synthetic scores, roughly that of pixels in MVTec AD defects.</summary>
    public const double AnomalousFraction = 0.05;
    const int GenerationChunk = 1 << 20;

    public static MetricsBenchmarkResult Run(int n, int seed = 0, int runs = 5, bool includePixel = true, IProgress<ProgressUpdate>? progress = null)
    {
        if (n < 2) throw new AnomalyMoEException($"--n {n} is too small; the benchmark needs at least 2 scores.");
        if (runs < 1) throw new AnomalyMoEException($"--runs {runs} must be at least 1.");
        var total = (runs + 1) * (includePixel ? 2 : 1);
        var done = 0;

        var (scores, labels) = SyntheticScores(n, seed);
        var (binaryTimes, binaryCpu) = Time(runs, () => BinaryMetrics.Compute(scores, labels), out var binary, () => progress.Report("bench metrics", ++done, total));
        scores = null!;
        labels = null!;

        double[]? pixelTimes = null, pixelCpu = null;
        PixelMetrics? pixel = null;
        int mapCount = 0, mapSize = 0;
        if (includePixel)
        {
            var maps = SyntheticMaps(n, seed);
            (mapCount, mapSize) = (maps.Count, maps.Height);
            (pixelTimes, pixelCpu) = Time(runs, () => PixelMetrics.Compute(maps, PixelMetrics.DefaultAuproLimit, 0.01), out pixel, () => progress.Report("bench metrics", ++done, total));
        }
        return new MetricsBenchmarkResult(n, seed, runs, Environment.ProcessorCount, Median(binaryTimes), binaryTimes, binaryCpu,
            pixelTimes is null ? null : Median(pixelTimes), pixelTimes, pixelCpu, mapCount, mapSize, binary, pixel);
    }

    static (double[] Wall, double[] Cpu) Time<T>(int runs, Func<T> work, out T last, Action tick)
    {
        last = work();
        tick();
        var times = new double[runs];
        var cpu = new double[runs];
        using var process = Process.GetCurrentProcess();
        for (var r = 0; r < runs; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            last = work();
            times[r] = watch.Elapsed.TotalSeconds;
            process.Refresh();
            cpu[r] = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
            tick();
        }
        return (times, cpu);
    }

    static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }

    /// <summary>
    /// N scores, about 5 % anomalous; normal ~ N(0, 1), anomalous ~ N(1.5, 1), kept in float32 so that nearly
    /// every score is distinct. Deterministic for a seed on any machine (generated in fixed-size chunks).
    /// </summary>
    public static (float[] Scores, byte[] Labels) SyntheticScores(int n, int seed)
    {
        var scores = new float[n];
        var labels = new byte[n];
        var chunks = (n + GenerationChunk - 1) / GenerationChunk;
        Parallel.For(0, chunks, chunk =>
        {
            var random = new Random(StreamSeed(seed, chunk, 1));
            var end = Math.Min(n, (chunk + 1) * GenerationChunk);
            for (var i = chunk * GenerationChunk; i < end; i++)
            {
                var anomalous = random.NextDouble() < AnomalousFraction;
                labels[i] = anomalous ? (byte)1 : (byte)0;
                scores[i] = (float)(Gaussian(random) + (anomalous ? 1.5 : 0));
            }
        });
        labels[0] = 0;
        labels[^1] = 1;
        return (scores, labels);
    }

    /// <summary>
    /// About <paramref name="pixels"/> pixels as 256×256 maps (smaller square maps when fewer pixels are asked for).
    /// Every other map has one to three elliptical defects; scores are noise plus a bump over each defect.
    /// </summary>
    public static PixelMapSet SyntheticMaps(int pixels, int seed)
    {
        var size = (int)Math.Clamp(Math.Sqrt(pixels), 4, 256);
        var count = Math.Max(2, pixels / (size * size));
        var perMap = size * size;
        var scores = new float[count * perMap];
        var masks = new byte[count * perMap];
        Parallel.For(0, count, map =>
        {
            var random = new Random(StreamSeed(seed, map, 2));
            var offset = map * perMap;
            for (var p = 0; p < perMap; p++) scores[offset + p] = (float)(0.1 * Gaussian(random));
            if (map % 2 == 0) return;
            var defects = random.Next(1, 4);
            for (var d = 0; d < defects; d++)
            {
                double cy = random.Next(size), cx = random.Next(size);
                double ry = 1 + random.NextDouble() * size / 8, rx = 1 + random.NextDouble() * size / 8;
                var strength = 0.2 + random.NextDouble();
                for (var y = 0; y < size; y++)
                for (var x = 0; x < size; x++)
                {
                    var r2 = (y - cy) * (y - cy) / (ry * ry) + (x - cx) * (x - cx) / (rx * rx);
                    if (r2 <= 1) masks[offset + y * size + x] = 1;
                    if (r2 <= 4) scores[offset + y * size + x] += (float)(strength * Math.Exp(-r2));
                }
            }
        });
        // Guarantee both classes even for tiny sets.
        masks[^1] = 1;
        masks[0] = 0;
        return new PixelMapSet(scores, masks, count, size, size);
    }

    /// <summary>A seed per (seed, stream, purpose), the same in every process (HashCode is randomised per process).</summary>
    static int StreamSeed(int seed, int stream, int purpose)
    {
        var z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)(uint)stream * 0xBF58476D1CE4E5B9UL + (ulong)purpose * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }

    static double Gaussian(Random random)
    {
        var u = 1.0 - random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * random.NextDouble());
    }
}
