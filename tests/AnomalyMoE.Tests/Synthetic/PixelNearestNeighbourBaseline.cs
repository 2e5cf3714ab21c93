using AnomalyMoE.Synthetic;
using SkiaSharp;

namespace AnomalyMoE.Tests.Synthetic;

/// <summary>
/// The "is it trivial?" baseline of the synthetic benchmark: each image is box-averaged down to
/// <see cref="DownscaledSize"/>² RGB, and a test image's score is its L2 distance to the closest training
/// image of its category. If this pixel-space nearest neighbour separated anomalies well, the benchmark
/// would reward memorising templates; the generator must keep it at or below 0.85 mean image AUROC per family.
/// </summary>
public static class PixelNearestNeighbourBaseline
{
    public const int DownscaledSize = 32;

    /// <summary>Image AUROC of one category folder (<c>train/good/*</c> as memory, <c>test/*/*</c> scored).</summary>
    public static double CategoryAuroc(string categoryRoot)
    {
        var memory = Directory.GetFiles(Path.Combine(categoryRoot, "train", "good"), "*.png").Order(StringComparer.Ordinal).Select(Downscale).ToArray();
        var scores = new List<double>();
        var labels = new List<int>();
        foreach (var folder in Directory.GetDirectories(Path.Combine(categoryRoot, "test")).Order(StringComparer.Ordinal))
        {
            var label = Path.GetFileName(folder) == "good" ? 0 : 1;
            foreach (var file in Directory.GetFiles(folder, "*.png").Order(StringComparer.Ordinal))
            {
                var query = Downscale(file);
                scores.Add(memory.Min(m => Distance(query, m)));
                labels.Add(label);
            }
        }
        return Auroc(scores, labels);
    }

    /// <summary>Per category AUROC and their mean, for every category of a family written under <paramref name="outputRoot"/>.</summary>
    public static (double Mean, IReadOnlyDictionary<string, double> PerCategory) FamilyAuroc(string outputRoot, string family)
    {
        var perCategory = SyntheticFamilies.Categories(family)
            .ToDictionary(c => c.Name, c => CategoryAuroc(Path.Combine(outputRoot, family, c.Name)));
        return (perCategory.Values.Average(), perCategory);
    }

    /// <summary>Image AUROC through the kit's exact binary metrics.</summary>
    public static double Auroc(IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        if (scores.Count != labels.Count) throw new ArgumentException("Scores and labels differ in length.");
        var s = scores.Select(v => (float)v).ToArray();
        var l = labels.Select(v => (byte)v).ToArray();
        return AnomalyMoE.Evaluation.BinaryMetrics.Compute(s, l).Auroc;
    }

    /// <summary>Decodes a PNG and box-averages it to <see cref="DownscaledSize"/>² RGB in [0, 1].</summary>
    public static float[] Downscale(string path)
    {
        using var decoded = SKBitmap.Decode(path) ?? throw new InvalidDataException($"Cannot decode {path}.");
        using var bitmap = decoded.ColorType == SKColorType.Rgba8888 ? decoded.Copy() : decoded.Copy(SKColorType.Rgba8888);
        var (width, height) = (bitmap.Width, bitmap.Height);
        var result = new float[DownscaledSize * DownscaledSize * 3];
        var counts = new int[DownscaledSize * DownscaledSize];
        var bytes = bitmap.GetPixelSpan();
        for (var y = 0; y < height; y++)
        {
            var cy = y * DownscaledSize / height;
            for (var x = 0; x < width; x++)
            {
                var cell = cy * DownscaledSize + x * DownscaledSize / width;
                var i = (y * width + x) * 4;
                result[cell * 3] += bytes[i]; result[cell * 3 + 1] += bytes[i + 1]; result[cell * 3 + 2] += bytes[i + 2];
                counts[cell]++;
            }
        }
        for (var c = 0; c < counts.Length; c++)
        {
            for (var k = 0; k < 3; k++) result[c * 3 + k] /= 255f * counts[c];
        }
        return result;
    }

    static double Distance(float[] a, float[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = a[i] - b[i];
            sum += d * d;
        }
        return Math.Sqrt(sum);
    }
}
