using AnomalyMoE.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AnomalyMoE.Training;

/// <summary>
/// Adam with L2 weight decay added to the gradient (<c>torch.optim.Adam</c>'s rule), used for the CLUB estimators'
/// own step (train.py: <c>Adam(lr, weight_decay=1e-4)</c>). Its state is a flat name → tensor dict for checkpoints.
/// </summary>
public sealed class Adam : IDisposable
{
    sealed class State(Tensor expAvg, Tensor expAvgSq) : IDisposable
    {
        public long Step;
        public Tensor ExpAvg { get; } = expAvg;
        public Tensor ExpAvgSq { get; } = expAvgSq;

        public void Dispose()
        {
            ExpAvg.Dispose();
            ExpAvgSq.Dispose();
        }
    }

    readonly List<(string Name, Parameter Parameter)> parameters;
    readonly Dictionary<string, State> states = new(StringComparer.Ordinal);

    public Adam(IEnumerable<(string Name, Parameter Parameter)> namedParameters, double learningRate, double weightDecay = 0,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        parameters = namedParameters.ToList();
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
    }

    public double LearningRate { get; set; }
    public double WeightDecay { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }

    public IEnumerable<Parameter> Parameters => parameters.Select(p => p.Parameter);

    public void ZeroGrad()
    {
        foreach (var (_, p) in parameters) p.grad?.zero_();
    }

    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (name, p) in parameters)
        {
            var grad = p.grad;
            if (grad is null) continue;
            if (!states.TryGetValue(name, out var state))
                states[name] = state = new State(zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope());
            if (WeightDecay != 0) grad = grad.add(p, alpha: WeightDecay);
            state.Step++;
            double bias1 = 1 - Math.Pow(Beta1, state.Step);
            double bias2 = 1 - Math.Pow(Beta2, state.Step);
            state.ExpAvg.mul_(Beta1).add_(grad, alpha: 1 - Beta1);
            state.ExpAvgSq.mul_(Beta2).addcmul_(grad, grad, value: 1 - Beta2);
            var denom = state.ExpAvgSq.sqrt().div_(Math.Sqrt(bias2)).add_(Eps);
            p.addcdiv_(state.ExpAvg, denom, value: -LearningRate / bias1);
        }
    }

    public Dictionary<string, Tensor> StateDict()
    {
        var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, s) in states)
        {
            dict[$"{name}.step"] = tensor(s.Step);
            dict[$"{name}.exp_avg"] = s.ExpAvg.detach().clone();
            dict[$"{name}.exp_avg_sq"] = s.ExpAvgSq.detach().clone();
        }
        return dict;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> dict)
    {
        foreach (var s in states.Values) s.Dispose();
        states.Clear();
        var known = parameters.ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        foreach (var key in dict.Keys.Where(k => k.EndsWith(".step", StringComparison.Ordinal)))
        {
            var name = key[..^".step".Length];
            if (!known.TryGetValue(name, out var p)) throw new AnomalyMoEException($"Adam state names parameter '{name}', which the estimator does not have.");
            Tensor Copy(string suffix) => dict.TryGetValue($"{name}.{suffix}", out var t)
                ? t.detach().clone().to(p.device)
                : throw new AnomalyMoEException($"Adam state for '{name}' lacks '{suffix}'.");
            states[name] = new State(Copy("exp_avg"), Copy("exp_avg_sq")) { Step = dict[key].item<long>() };
        }
    }

    public void Dispose()
    {
        foreach (var s in states.Values) s.Dispose();
        states.Clear();
    }
}
