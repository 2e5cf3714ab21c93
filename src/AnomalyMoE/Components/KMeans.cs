using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Components;

/// <summary>The result of <see cref="KMeans.Fit"/>. Owns <see cref="Centroids"/>.</summary>
/// <param name="Centroids"><c>[K,D]</c>.</param>
/// <param name="Inertia">Sum of squared distances of the points to their centroid.</param>
/// <param name="Iterations">Lloyd iterations run.</param>
public sealed record KMeansResult(Tensor Centroids, double Inertia, int Iterations) : IDisposable
{
    public void Dispose() => Centroids.Dispose();
}

/// <summary>Seeded k-means (k-means++ initialisation, then Lloyd iterations) on the rows of a <c>[N,D]</c> tensor.</summary>
public static class KMeans
{
    /// <summary>
    /// Clusters <paramref name="data"/> into <paramref name="k"/> groups. Deterministic for a given seed. An emptied cluster is
    /// re-seeded with the point farthest from its centroid. Stops when no centroid moves more than <paramref name="tolerance"/>
    /// (Euclidean) or after <paramref name="maxIterations"/>.
    /// </summary>
    public static KMeansResult Fit(Tensor data, int k, int seed, int maxIterations = 100, double tolerance = 1e-4)
    {
        if (data.dim() != 2) throw new ArgumentException($"k-means needs a [N,D] tensor; got [{string.Join(", ", data.shape)}].", nameof(data));
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        if (data.shape[0] < k) throw new ArgumentException($"k-means with k = {k} needs at least {k} points; got {data.shape[0]}.", nameof(data));
        if (maxIterations < 1) throw new ArgumentOutOfRangeException(nameof(maxIterations), maxIterations, "maxIterations must be at least 1.");

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = data.to_type(ScalarType.Float32).detach();
        var centroids = InitialCentroids(x, k, new Random(seed));
        int iterations = 0;
        for (; iterations < maxIterations; iterations++)
        {
            var labels = Assign(x, centroids);
            var sums = zeros(k, x.shape[1]).index_add(0, labels, x, 1);
            var counts = zeros(k).index_add(0, labels, ones(x.shape[0]), 1);
            var updated = sums / counts.clamp_min(1).unsqueeze(1);
            var countArray = counts.data<float>().ToArray();
            for (int c = 0; c < k; c++)
            {
                if (countArray[c] > 0) continue;
                var far = SquaredDistances(x, centroids).gather(1, labels.unsqueeze(1)).squeeze(1).argmax().item<long>();
                updated[c] = x[far];
            }
            var shift = (updated - centroids).pow(2).sum(1).sqrt().max().item<float>();
            centroids = updated;
            if (shift <= tolerance) { iterations++; break; }
        }
        var finalLabels = Assign(x, centroids);
        var inertia = SquaredDistances(x, centroids).gather(1, finalLabels.unsqueeze(1)).sum().item<float>();
        return new KMeansResult(centroids.MoveToOuterDisposeScope(), inertia, iterations);
    }

    /// <summary>Index of the nearest centroid (Euclidean) for each row, <c>[N]</c> int64.</summary>
    public static Tensor Assign(Tensor data, Tensor centroids)
    {
        using var d = SquaredDistances(data, centroids);
        return d.argmin(1);
    }

    static Tensor SquaredDistances(Tensor x, Tensor c) =>
        (x.pow(2).sum(1, keepdim: true) - 2 * x.matmul(c.t()) + c.pow(2).sum(1).unsqueeze(0)).clamp_min(0);

    // k-means++ (Arthur & Vassilvitskii 2007): each next centre drawn with probability ∝ squared distance to the nearest chosen one.
    static Tensor InitialCentroids(Tensor x, int k, Random random)
    {
        var n = (int)x.shape[0];
        var chosen = new List<long> { random.Next(n) };
        var nearest = SquaredDistances(x, x[chosen[0]].unsqueeze(0)).squeeze(1);
        while (chosen.Count < k)
        {
            var weights = nearest.to_type(ScalarType.Float64).data<double>().ToArray();
            var total = weights.Sum();
            long next;
            if (total <= 0)
            {
                next = Enumerable.Range(0, n).First(i => !chosen.Contains(i));
            }
            else
            {
                var target = random.NextDouble() * total;
                double acc = 0;
                next = n - 1;
                for (int i = 0; i < n; i++)
                {
                    acc += weights[i];
                    if (acc >= target && weights[i] > 0) { next = i; break; }
                }
            }
            chosen.Add(next);
            nearest = minimum(nearest, SquaredDistances(x, x[next].unsqueeze(0)).squeeze(1));
        }
        using var index = tensor(chosen.ToArray());
        return x.index_select(0, index);
    }
}
