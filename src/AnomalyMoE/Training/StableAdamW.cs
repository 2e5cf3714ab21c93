using AnomalyMoE.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AnomalyMoE.Training;

/// <summary>Hyper-parameters of <see cref="StableAdamW"/>; defaults are the reference training's.</summary>
public sealed record StableAdamWOptions
{
    public double LearningRate { get; init; } = 5e-4;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Eps { get; init; } = 1e-10;
    public double WeightDecay { get; init; } = 1e-4;
    public bool AmsGrad { get; init; } = true;
    /// <summary>Update clipping threshold: the step of a tensor is divided by max(1, RMS(g / denom) / threshold).</summary>
    public double ClipThreshold { get; init; } = 1.0;

    public static StableAdamWOptions Reference { get; } = new();

    public StableAdamWOptions Validate()
    {
        if (!(LearningRate >= 0)) throw new ArgumentException($"StableAdamW learning rate must be ≥ 0, got {LearningRate}.");
        if (!(Beta1 is >= 0 and < 1)) throw new ArgumentException($"StableAdamW beta1 must be in [0, 1), got {Beta1}.");
        if (!(Beta2 is >= 0 and < 1)) throw new ArgumentException($"StableAdamW beta2 must be in [0, 1), got {Beta2}.");
        if (!(Eps >= 0)) throw new ArgumentException($"StableAdamW eps must be ≥ 0, got {Eps}.");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"StableAdamW weight decay must be ≥ 0, got {WeightDecay}.");
        if (!(ClipThreshold > 0)) throw new ArgumentException($"StableAdamW clip threshold must be > 0, got {ClipThreshold}.");
        return this;
    }
}

/// <summary>
/// AdamW with update clipping (Wortsman et al. 2023, "Stable and low-precision training for large-scale
/// vision-language models"), as the reference trains AnomalyMoE (the Dinomaly optimiser): decoupled weight decay
/// applied before the moment update, AMSGrad, and a per-tensor step size divided by max(1, RMS(g / denom)).
/// </summary>
public sealed class StableAdamW : IDisposable
{
    readonly IReadOnlyList<(string Name, Parameter Parameter)> parameters;
    readonly MomentStates states;

    public StableAdamW(IEnumerable<(string Name, Parameter Parameter)> namedParameters, StableAdamWOptions? options = null)
    {
        Options = (options ?? StableAdamWOptions.Reference).Validate();
        LearningRate = Options.LearningRate;
        parameters = namedParameters.ToList();
        states = new MomentStates(parameters, Options.AmsGrad, "Optimiser");
        var duplicate = parameters.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new ArgumentException($"Parameter name '{duplicate.Key}' appears twice in the optimiser's parameter list.");
    }

    public StableAdamWOptions Options { get; }

    /// <summary>The current learning rate (set by the schedule before each step).</summary>
    public double LearningRate { get; set; }

    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters => parameters;

    public void ZeroGrad()
    {
        foreach (var (_, p) in parameters)
        {
            p.grad?.zero_();
        }
    }

    /// <summary>
    /// One optimisation step over every parameter that has a gradient, except those whose name starts with one of
    /// <paramref name="skipPrefixes"/>: they keep their values and state, as a parameter without a gradient does.
    /// </summary>
    public void Step(IReadOnlyCollection<string>? skipPrefixes = null)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        double lr = LearningRate, beta1 = Options.Beta1, beta2 = Options.Beta2;
        foreach (var (name, p) in parameters)
        {
            var grad = p.grad;
            if (grad is null) continue;
            if (skipPrefixes is { Count: > 0 } && skipPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal))) continue;
            var state = states.For(name, p);

            p.mul_(1 - lr * Options.WeightDecay);

            state.Step++;
            double bias1 = 1 - Math.Pow(beta1, state.Step);
            double bias2 = 1 - Math.Pow(beta2, state.Step);

            state.ExpAvg.mul_(beta1).add_(grad, alpha: 1 - beta1);
            state.ExpAvgSq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
            Tensor second = state.ExpAvgSq;
            if (state.MaxExpAvgSq is { } max)
            {
                max.copy_(torch.maximum(max, state.ExpAvgSq));
                second = max;
            }
            var denom = second.sqrt().div_(Math.Sqrt(bias2)).add_(Options.Eps);
            var ratio = grad / denom;
            double rms = ratio.norm().to_type(ScalarType.Float64).item<double>() / Math.Sqrt(ratio.numel());
            double clip = Math.Max(1.0, rms / Options.ClipThreshold);
            double stepSize = lr / bias1 / clip;
            p.addcdiv_(state.ExpAvg, denom, value: -stepSize);
        }
    }

    /// <summary>The optimiser state as a flat name → tensor dict (copies), for checkpoints.</summary>
    public Dictionary<string, Tensor> StateDict() => states.StateDict();

    /// <summary>Restores a state written by <see cref="StateDict"/>; names must match this optimiser's parameters.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> dict) => states.LoadStateDict(dict);

    public void Dispose() => states.Dispose();
}
