using AnomalyMoE.Model;
using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace AnomalyMoE.Training;

/// <summary>Which parameters share one gradient-norm limit in the main step.</summary>
public enum GradientClipScope
{
    /// <summary>One norm over every expert and the router (the reference: train.py clips <c>trainable.parameters()</c> at 0.1).</summary>
    Joint,

    /// <summary>
    /// One norm per expert level (patch, global, component) and one for the router. Under the joint norm the component
    /// experts' large early cosine gradients set the clipping factor for everyone and starve the patch experts of
    /// updates (docs/engine.md, "What limits cpu-tiny's quality"); per level each group is limited by its own norm.
    /// </summary>
    PerLevel,
}

/// <summary>Gradient-norm clipping of the main step's parameters.</summary>
public static class GradientClipping
{
    /// <summary>Clips the gradients of <paramref name="model"/>'s trainable parameters to <paramref name="maxNorm"/> under <paramref name="scope"/>.</summary>
    public static void Clip(AnomalyMoEModel model, GradientClipScope scope, double maxNorm)
    {
        if (scope == GradientClipScope.Joint)
        {
            nn.utils.clip_grad_norm_(model.TrainableParameters(), maxNorm);
            return;
        }
        foreach (var group in Groups(model))
        {
            var parameters = group.Where(p => p.grad is not null).ToList();
            if (parameters.Count > 0) nn.utils.clip_grad_norm_(parameters, maxNorm);
        }
    }

    /// <summary>The per-level groups: patch experts, global experts, component experts, router.</summary>
    public static IEnumerable<IReadOnlyList<Parameter>> Groups(AnomalyMoEModel model)
    {
        yield return model.PatchExperts.SelectMany(e => e.parameters()).ToList();
        yield return model.GlobalExperts.SelectMany(e => e.parameters()).ToList();
        yield return model.ComponentExperts.SelectMany(e => e.parameters()).ToList();
        yield return model.Router.parameters().ToList();
    }
}
