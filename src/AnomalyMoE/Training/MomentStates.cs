using AnomalyMoE.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AnomalyMoE.Training;

/// <summary>Adam-family moment buffers of one parameter: step count, first and second moments, AMSGrad's running maximum.</summary>
internal sealed class MomentState(Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq) : IDisposable
{
    public long Step;
    public Tensor ExpAvg { get; } = expAvg;
    public Tensor ExpAvgSq { get; } = expAvgSq;
    public Tensor? MaxExpAvgSq { get; } = maxExpAvgSq;

    public static MomentState ZerosLike(Tensor parameter, bool withMax) => new(
        zeros_like(parameter).DetachFromDisposeScope(),
        zeros_like(parameter).DetachFromDisposeScope(),
        withMax ? zeros_like(parameter).DetachFromDisposeScope() : null);

    public void Dispose()
    {
        ExpAvg.Dispose();
        ExpAvgSq.Dispose();
        MaxExpAvgSq?.Dispose();
    }
}

/// <summary>
/// The moment buffers of an optimiser's named parameters, saved as a flat name → tensor dict
/// (<c>&lt;param&gt;.step</c>, <c>.exp_avg</c>, <c>.exp_avg_sq</c>, <c>.max_exp_avg_sq</c>) for checkpoints.
/// </summary>
internal sealed class MomentStates(IReadOnlyList<(string Name, Parameter Parameter)> parameters, bool withMax, string owner) : IDisposable
{
    readonly Dictionary<string, MomentState> states = new(StringComparer.Ordinal);

    /// <summary>The state of a parameter, created as zeros on first use.</summary>
    public MomentState For(string name, Tensor parameter)
    {
        if (!states.TryGetValue(name, out var state)) states[name] = state = MomentState.ZerosLike(parameter, withMax);
        return state;
    }

    public Dictionary<string, Tensor> StateDict()
    {
        var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, s) in states)
        {
            dict[$"{name}.step"] = tensor(s.Step);
            dict[$"{name}.exp_avg"] = s.ExpAvg.detach().clone();
            dict[$"{name}.exp_avg_sq"] = s.ExpAvgSq.detach().clone();
            if (s.MaxExpAvgSq is { } m) dict[$"{name}.max_exp_avg_sq"] = m.detach().clone();
        }
        return dict;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> dict)
    {
        Clear();
        var known = parameters.ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        foreach (var key in dict.Keys.Where(k => k.EndsWith(".step", StringComparison.Ordinal)))
        {
            var name = key[..^".step".Length];
            if (!known.TryGetValue(name, out var p))
                throw new AnomalyMoEException($"{owner} state names parameter '{name}', which the model does not have.");
            Tensor Copy(string suffix) => dict.TryGetValue($"{name}.{suffix}", out var t)
                ? t.detach().clone().to(p.device)
                : throw new AnomalyMoEException($"{owner} state for '{name}' lacks '{suffix}'.");
            states[name] = new MomentState(Copy("exp_avg"), Copy("exp_avg_sq"), withMax ? Copy("max_exp_avg_sq") : null)
            {
                Step = dict[key].item<long>(),
            };
        }
    }

    void Clear()
    {
        foreach (var s in states.Values) s.Dispose();
        states.Clear();
    }

    public void Dispose() => Clear();
}
