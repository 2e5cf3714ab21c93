using AnomalyMoE.Model;
using AnomalyMoE.Objectives;
using AnomalyMoE.Runtime;
using static TorchSharp.torch;

namespace AnomalyMoE.Training;

/// <summary>
/// Building the model and its CLUB estimators as training starts, and restoring both from a checkpoint: the one place
/// the trainer, the detectors and the notebooks' teaching model get them from.
/// </summary>
public static class ModelStates
{
    /// <summary>
    /// The model as training starts: the options' architecture with the reference initialisation, and fresh CLUB
    /// estimators (reference train.py). With a <paramref name="seed"/> the generator is reseeded first, as the trainer does.
    /// </summary>
    public static (AnomalyMoEModel Model, ExpertInformationRepulsion Estimators) Initial(AnomalyMoEOptions options, int? seed)
    {
        if (seed is int s) manual_seed(s);
        var model = new AnomalyMoEModel(options, null);
        try
        {
            ParameterInitialization.ApplyReference(model);
            return (model, new ExpertInformationRepulsion(new ExpertInformationRepulsionOptions(options.EmbedDim, options.Objectives.ClubLikelihood)));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Copies a checkpoint's model (and, when given, estimator) sections into live modules; strict about names and shapes.</summary>
    public static void Restore(TrainingCheckpoint checkpoint, AnomalyMoEModel model, ExpertInformationRepulsion? estimators = null)
    {
        CopyInto(model.state_dict(), checkpoint.Section("model"), "model");
        if (estimators is not null) CopyInto(estimators.state_dict(), checkpoint.Section("estimator"), "estimator");
    }

    /// <summary><see cref="Restore"/> from a run's <c>checkpoints/last.ckpt</c>.</summary>
    public static void RestoreLast(RunDirectory run, AnomalyMoEModel model, ExpertInformationRepulsion? estimators = null)
    {
        using var checkpoint = run.LoadLastCheckpoint();
        Restore(checkpoint, model, estimators);
    }

    /// <summary>Copies a saved section into live tensors; strict about names and shapes.</summary>
    static void CopyInto(IReadOnlyDictionary<string, Tensor> target, IReadOnlyDictionary<string, Tensor> saved, string what)
    {
        using var noGrad = no_grad();
        foreach (var (name, t) in target)
        {
            if (name.StartsWith("encoder.", StringComparison.Ordinal)) continue;
            if (!saved.TryGetValue(name, out var s)) throw new AnomalyMoEException($"The checkpoint's {what} section lacks '{name}'.");
            if (!s.shape.SequenceEqual(t.shape))
                throw new AnomalyMoEException($"The checkpoint's {what} '{name}' is [{string.Join(", ", s.shape)}]; the model has [{string.Join(", ", t.shape)}].");
            t.copy_(s);
        }
    }
}
