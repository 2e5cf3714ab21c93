using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Objectives;

/// <summary>Which log-likelihood the CLUB estimator is trained on.</summary>
public enum ClubLikelihood
{
    /// <summary>The reference's form: Σ −(μ − y)² / (2σ²), without the log-variance term (reference <c>CLUBSample.loglikeli</c>).</summary>
    Reference,

    /// <summary>The Gaussian log-likelihood up to a constant: Σ [−(μ − y)² / (2σ²) − log σ² / 2] (CLUB, Cheng et al. 2020).</summary>
    Textbook,
}

/// <summary>
/// Configuration of Expert Information Repulsion (EIR).
/// </summary>
/// <param name="EmbedDim">Feature width D; the estimator's MLPs are D→D/2→D.</param>
/// <param name="Likelihood">The estimator's training log-likelihood (default: the reference's form).</param>
/// <param name="LayerNormEpsilon">Epsilon of the LayerNorm applied to every expert feature (PyTorch default 1e-5).</param>
public sealed record ExpertInformationRepulsionOptions(int EmbedDim, ClubLikelihood Likelihood = ClubLikelihood.Reference, double LayerNormEpsilon = 1e-5)
{
    /// <summary>The paper's configuration at D = 768.</summary>
    public static ExpertInformationRepulsionOptions Paper { get; } = new(768);

    public ExpertInformationRepulsionOptions Validate()
    {
        if (EmbedDim < 2) throw new ArgumentOutOfRangeException(nameof(EmbedDim), EmbedDim, "EmbedDim must be at least 2 (the estimator's hidden width is D/2).");
        if (!Enum.IsDefined(Likelihood)) throw new ArgumentOutOfRangeException(nameof(Likelihood), Likelihood, "Unknown CLUB likelihood form.");
        if (!(LayerNormEpsilon > 0)) throw new ArgumentOutOfRangeException(nameof(LayerNormEpsilon), LayerNormEpsilon, "LayerNormEpsilon must be positive.");
        return this;
    }
}

/// <summary>
/// The CLUB mutual-information upper-bound estimator (reference <c>CLUBSample</c>): a variational Gaussian q(y|x) with
/// mean μ(x) = MLP D→D/2→D and log-variance log σ²(x) = tanh(MLP D→D/2→D). Keys: <c>p_mu.{0,2}.*</c>, <c>p_logvar.{0,2}.*</c>.
/// <c>forward(x, y)</c> is <see cref="UpperBound(Tensor, Tensor, Generator?)"/> with a random permutation.
/// </summary>
public sealed class ClubEstimator : Module<Tensor, Tensor, Tensor>
{
    readonly Sequential p_mu;
    readonly Sequential p_logvar;

    public ClubLikelihood Likelihood { get; }

    public ClubEstimator(int embedDim, ClubLikelihood likelihood = ClubLikelihood.Reference) : base(nameof(ClubEstimator))
    {
        if (embedDim < 2) throw new ArgumentOutOfRangeException(nameof(embedDim), embedDim, "embedDim must be at least 2.");
        Likelihood = likelihood;
        p_mu = Sequential(("0", Linear(embedDim, embedDim / 2)), ("1", ReLU()), ("2", Linear(embedDim / 2, embedDim)));
        p_logvar = Sequential(("0", Linear(embedDim, embedDim / 2)), ("1", ReLU()), ("2", Linear(embedDim / 2, embedDim)), ("3", Tanh()));
        RegisterComponents();
    }

    /// <summary>μ(x) and log σ²(x), each <c>[B,D]</c>.</summary>
    public (Tensor Mu, Tensor LogVar) MuLogVar(Tensor x) => (p_mu.forward(x), p_logvar.forward(x));

    public override Tensor forward(Tensor x, Tensor y) => UpperBound(x, y, (Generator?)null);

    /// <summary>The bound with a random permutation of the batch (drawn from <paramref name="generator"/> when given).</summary>
    public Tensor UpperBound(Tensor x, Tensor y, Generator? generator)
    {
        using var perm = randperm(x.shape[0], generator: generator, device: x.device);
        return UpperBound(x, y, perm);
    }

    /// <summary>
    /// mean over the batch of [Σ −(μ − y)²/σ² − Σ −(μ − y[perm])²/σ²] / 2, where <paramref name="perm"/> pairs each x with
    /// another sample's y (the negative pairs).
    /// </summary>
    public Tensor UpperBound(Tensor x, Tensor y, Tensor perm)
    {
        CheckPair(x, y);
        using var scope = NewDisposeScope();
        var (mu, logVar) = MuLogVar(x);
        var variance = logVar.exp();
        var positive = -(mu - y).pow(2) / variance;
        var negative = -(mu - y.index_select(0, perm.to_type(ScalarType.Int64))).pow(2) / variance;
        var bound = (positive.sum([-1]) - negative.sum([-1])).mean() / 2.0;
        return bound.MoveToOuterDisposeScope();
    }

    /// <summary>The estimator's training loss: minus the mean log-likelihood of y under q(y|x), in the configured form.</summary>
    public Tensor LearningLoss(Tensor x, Tensor y)
    {
        CheckPair(x, y);
        using var scope = NewDisposeScope();
        var (mu, logVar) = MuLogVar(x);
        var perDim = -(mu - y).pow(2) / 2.0 / logVar.exp();
        if (Likelihood == ClubLikelihood.Textbook) perDim = perDim - logVar / 2.0;
        return (-perDim.sum([1]).mean([0])).MoveToOuterDisposeScope();
    }

    static void CheckPair(Tensor x, Tensor y)
    {
        if (x.dim() != 2 || !x.shape.SequenceEqual(y.shape))
            throw new ArgumentException($"CLUB needs two [B,D] feature batches of the same shape; got [{string.Join(", ", x.shape)}] and [{string.Join(", ", y.shape)}].");
    }
}

/// <summary>
/// Expert Information Repulsion (paper Sec. EIR; reference <c>MIEstimator</c> in train.py): a CLUB upper bound on the mutual
/// information between two randomly chosen experts of the patch group (feature: spatial mean of the last decoder group map)
/// and between two of the global group (feature: spatial mean of the student map), each feature LayerNorm-ed, averaged over
/// the groups. Keys: <c>patch_estimator.*</c>, <c>global_estimator.*</c>, <c>normalizer.*</c>.
/// The estimators (and the shared LayerNorm) are trained alternately with their own optimizer on <see cref="EstimatorLoss"/>.
/// A group with fewer than two experts contributes nothing; the average is over contributing groups (zero when none).
/// </summary>
public sealed class ExpertInformationRepulsion : Module
{
    readonly ClubEstimator patch_estimator;
    readonly ClubEstimator global_estimator;
    readonly LayerNorm normalizer;

    public ExpertInformationRepulsionOptions Options { get; }

    public ExpertInformationRepulsion(ExpertInformationRepulsionOptions options) : base(nameof(ExpertInformationRepulsion))
    {
        Options = options.Validate();
        patch_estimator = new ClubEstimator(options.EmbedDim, options.Likelihood);
        global_estimator = new ClubEstimator(options.EmbedDim, options.Likelihood);
        normalizer = LayerNorm(options.EmbedDim, eps: options.LayerNormEpsilon);
        RegisterComponents();
    }

    public ClubEstimator PatchEstimator => patch_estimator;
    public ClubEstimator GlobalEstimator => global_estimator;

    /// <summary>
    /// The EIR value (a scalar, differentiable w.r.t. the expert features) for the features <c>[B,D]</c> of each patch and
    /// global expert. Expert pairs are drawn from <paramref name="random"/>, the negative-pair permutation from
    /// <paramref name="generator"/>.
    /// </summary>
    public Tensor Value(IReadOnlyList<Tensor> patchFeatures, IReadOnlyList<Tensor> globalFeatures, Random random, Generator? generator = null) =>
        Average(patchFeatures, globalFeatures, random, (est, a, b) => est.UpperBound(a, b, generator));

    /// <summary>
    /// The estimators' training loss (negative log-likelihood), for their own optimizer step; pairs drawn afresh. Pass
    /// features computed without autograd (the reference re-runs the model under <c>no_grad</c> for this step).
    /// </summary>
    public Tensor EstimatorLoss(IReadOnlyList<Tensor> patchFeatures, IReadOnlyList<Tensor> globalFeatures, Random random) =>
        Average(patchFeatures, globalFeatures, random, (est, a, b) => est.LearningLoss(a, b));

    /// <summary>LayerNorm of an expert feature, as every EIR term sees it.</summary>
    public Tensor Normalize(Tensor features) => normalizer.forward(features);

    /// <summary>Two distinct expert indices drawn uniformly, like Python's <c>random.sample(range(count), 2)</c>.</summary>
    public static (int First, int Second) DrawPair(int count, Random random)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "A pair needs at least two experts.");
        var first = random.Next(count);
        var second = random.Next(count - 1);
        if (second >= first) second++;
        return (first, second);
    }

    Tensor Average(IReadOnlyList<Tensor> patchFeatures, IReadOnlyList<Tensor> globalFeatures, Random random,
        Func<ClubEstimator, Tensor, Tensor, Tensor> term)
    {
        using var scope = NewDisposeScope();
        Tensor? sum = null;
        int groups = 0;
        foreach (var (features, estimator) in new[] { (patchFeatures, patch_estimator), (globalFeatures, global_estimator) })
        {
            if (features.Count < 2) continue;
            var (i, j) = DrawPair(features.Count, random);
            var value = term(estimator, Normalize(features[i]), Normalize(features[j]));
            sum = sum is null ? value : sum + value;
            groups++;
        }
        var result = sum is null ? zeros(Array.Empty<long>()) : sum / groups;
        return result.MoveToOuterDisposeScope();
    }
}
