using AnomalyMoE.Runtime;
using static TorchSharp.torch;

namespace AnomalyMoE.Baselines;

/// <summary>Options of the PatchCore-style baseline (Roth et al., CVPR 2022).</summary>
/// <param name="CoresetRatio">Fraction of training patch features kept by greedy coreset subsampling (PatchCore: 0.01–0.1).</param>
/// <param name="ProjectionDim">Random-projection width used only to pick the coreset (PatchCore's approximation).</param>
/// <param name="MaxBankSize">Upper bound on the memory bank, whatever the ratio (keeps CPU scoring fast).</param>
/// <param name="Seed">Seed of the projection and of the first coreset point.</param>
public sealed record PatchCoreOptions(double CoresetRatio = 0.1, int ProjectionDim = 128, int MaxBankSize = 20_000, int Seed = 0)
{
    public static PatchCoreOptions Default { get; } = new();

    public PatchCoreOptions Validate()
    {
        if (!(CoresetRatio > 0 && CoresetRatio <= 1)) throw new ArgumentException($"PatchCore coreset ratio must be in (0, 1], got {CoresetRatio}.");
        if (ProjectionDim <= 0) throw new ArgumentException($"PatchCore projection width must be > 0, got {ProjectionDim}.");
        if (MaxBankSize <= 0) throw new ArgumentException($"PatchCore memory bank size must be > 0, got {MaxBankSize}.");
        return this;
    }
}

/// <summary>
/// PatchCore's memory bank: training patch features reduced by greedy (k-centre) coreset selection; a query
/// patch's anomaly score is its Euclidean distance to the nearest bank feature.
/// </summary>
public sealed class PatchCoreMemoryBank : IDisposable
{
    PatchCoreMemoryBank(Tensor bank) => Bank = bank;

    /// <summary><c>[M, D]</c> kept training features.</summary>
    public Tensor Bank { get; }

    /// <summary>Builds a bank from <c>[N, D]</c> features.</summary>
    public static PatchCoreMemoryBank Build(Tensor features, PatchCoreOptions? options = null, IProgress<ProgressUpdate>? progress = null)
    {
        options = (options ?? PatchCoreOptions.Default).Validate();
        if (features.dim() != 2 || features.shape[0] == 0)
            throw new ArgumentException($"PatchCore needs a non-empty [N, D] feature matrix, got shape [{string.Join(", ", features.shape)}].");
        long n = features.shape[0];
        long keep = Math.Min(options.MaxBankSize, Math.Max(1, (long)Math.Ceiling(n * options.CoresetRatio)));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = features.detach().to_type(ScalarType.Float32);
        if (keep >= n) return new PatchCoreMemoryBank(x.clone().MoveToOuterDisposeScope());

        var generator = new TorchSharp.torch.Generator((ulong)options.Seed);
        var projected = x.shape[1] > options.ProjectionDim
            ? x.matmul(randn(x.shape[1], options.ProjectionDim, generator: generator, device: x.device) / Math.Sqrt(options.ProjectionDim))
            : x;
        var selected = new long[keep];
        selected[0] = randint(0, n, [1], generator: generator).item<long>();
        var minDistance = SquaredDistanceTo(projected, selected[0]);
        for (long i = 1; i < keep; i++)
        {
            using var inner = NewDisposeScope();
            selected[i] = minDistance.argmax().item<long>();
            var d = SquaredDistanceTo(projected, selected[i]);
            minDistance.copy_(minimum(minDistance, d));
            if (i % 256 == 0) progress.Report("coreset", i, keep);
        }
        progress.Report("coreset", keep, keep);
        return new PatchCoreMemoryBank(x.index_select(0, tensor(selected, device: x.device)).MoveToOuterDisposeScope());
    }

    static Tensor SquaredDistanceTo(Tensor points, long index)
    {
        var diff = points - points[index].unsqueeze(0);
        return (diff * diff).sum(1);
    }

    /// <summary>Nearest-neighbour distance of each <c>[M, D]</c> query to the bank, in chunks to bound memory.</summary>
    public Tensor Score(Tensor queries, int chunk = 4096)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var q = queries.to_type(ScalarType.Float32).to(Bank.device);
        var parts = new List<Tensor>();
        for (long start = 0; start < q.shape[0]; start += chunk)
        {
            var block = q.narrow(0, start, Math.Min(chunk, q.shape[0] - start));
            parts.Add(cdist(block, Bank).min(1).values);
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Wraps an existing bank tensor (e.g. loaded from a checkpoint); takes ownership of a copy.</summary>
    public static PatchCoreMemoryBank FromTensor(Tensor bank) => new(bank.detach().clone());

    public void Dispose() => Bank.Dispose();
}
