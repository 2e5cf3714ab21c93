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
    readonly List<(string Name, Parameter Parameter)> parameters;
    readonly MomentStates states;

    public Adam(IEnumerable<(string Name, Parameter Parameter)> namedParameters, double learningRate, double weightDecay = 0,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        parameters = namedParameters.ToList();
        states = new MomentStates(parameters, withMax: false, owner: "Adam");
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
            var state = states.For(name, p);
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

    /// <summary>The moment buffers as a flat name → tensor dict (copies), for checkpoints.</summary>
    public Dictionary<string, Tensor> StateDict() => states.StateDict();

    /// <summary>Restores a state written by <see cref="StateDict"/>.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> dict) => states.LoadStateDict(dict);

    public void Dispose() => states.Dispose();
}
