using AnomalyMoE.Experts;
using AnomalyMoE.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Objectives;

/// <summary>The terms of one training loss. <see cref="Esb"/> and <see cref="Eir"/> are null when switched off. Owns its tensors.</summary>
public sealed record AnomalyMoELossTerms(Tensor Total, Tensor Reconstruction, Tensor Patch, Tensor Global, Tensor Component, Tensor? Esb, Tensor? Eir) : IDisposable
{
    /// <summary>The terms as numbers, keyed as losses.csv names its columns (<c>esb</c> and <c>eir</c> only when on).</summary>
    public Dictionary<string, double> Values()
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["total"] = Total.item<float>(),
            ["reconstruction"] = Reconstruction.item<float>(),
            ["patch"] = Patch.item<float>(),
            ["global"] = Global.item<float>(),
            ["component"] = Component.item<float>(),
        };
        if (Esb is { } esb) values["esb"] = esb.item<float>();
        if (Eir is { } eir) values["eir"] = eir.item<float>();
        return values;
    }

    public void Dispose()
    {
        Total.Dispose();
        Reconstruction.Dispose();
        Patch.Dispose();
        Global.Dispose();
        Component.Dispose();
        Esb?.Dispose();
        Eir?.Dispose();
    }
}

/// <summary>
/// The AnomalyMoE training loss (reference train.py: <c>calculate_moe_loss</c> + λ_EIR·EIR + λ_ESB·ESB):
/// routing-weighted reconstruction of the three levels (patch: hard mining; global: student/autoencoder and
/// autoencoder/encoder MSE; component: 1 − cosine), plus Expert Selection Balancing and Expert Information Repulsion.
/// </summary>
public static class AnomalyMoELoss
{
    /// <summary>
    /// All loss terms of a forward output. Sets the patch experts' hard-mining gradient gates for the next backward.
    /// <paramref name="eir"/> is needed when <see cref="ObjectiveOptions.UseEir"/> is on; <paramref name="random"/> draws its
    /// expert pairs and <paramref name="generator"/> its negative-pair permutation.
    /// </summary>
    public static AnomalyMoELossTerms Compute(AnomalyMoEOutput output, AnomalyMoEOptions options, ExpertInformationRepulsion? eir = null,
        Random? random = null, Generator? generator = null)
    {
        var o = options.Objectives;
        using var scope = NewDisposeScope();
        var weights = output.Routing.Weights;
        var layout = options.Layout;

        var patchLosses = output.Patch
            .Select(p => p is null ? null : HardMiningLoss.PerImage(output.EncoderMaps, p.DecoderMaps, p.Gates, o.HardMining))
            .ToArray();
        var patch = ReconstructionLoss.PerImageLevel(weights[.., layout.Patch.Slice], patchLosses, o.Scales.Patch);

        var globalLosses = output.Global.Select(g =>
        {
            if (g is null) return null;
            var target = output.JitteredEncoderMaps?[^1] ?? throw new InvalidOperationException(
                "The global experts' loss needs the encoder maps of the jittered view: run the model with an encoder or give JitteredTokens.");
            return GlobalExpert.PerImageLoss(g.Autoencoder, g.Student, target,
                options.Global.Map == GlobalMapKind.LayoutError ? options.Global.LayoutGrid : null);
        }).ToArray();
        var global = ReconstructionLoss.PerImageLevel(weights[.., layout.Global.Slice], globalLosses, o.Scales.Global);

        Tensor component;
        if (output.Components is { } c && c.Total > 0)
        {
            var componentLosses = output.ComponentReconstructions
                .Select(r => r is null ? null : ComponentExpert.PerComponentLoss(r, c.Features)).ToArray();
            component = ReconstructionLoss.PerComponentLevel(weights[.., layout.Component.Slice], c.Counts, componentLosses, o.Scales.Component);
        }
        else
        {
            component = zeros(Array.Empty<long>(), dtype: weights.dtype, device: weights.device);
        }

        var reconstruction = patch + global + component;
        var total = reconstruction;
        Tensor? esb = null, eirValue = null;
        if (o.UseEsb)
        {
            esb = ExpertSelectionBalancingLoss.Compute(output.Routing.RawLogits, output.Routing.Mask, o.CapacityFactor);
            total = total + o.EsbWeight * esb;
        }
        if (o.UseEir)
        {
            if (eir is null) throw new ArgumentNullException(nameof(eir), "Objectives.UseEir is on: give the ExpertInformationRepulsion module (or switch EIR off).");
            var (patchFeatures, globalFeatures) = ExpertFeatures(output);
            eirValue = eir.Value(patchFeatures, globalFeatures, random ?? Random.Shared, generator);
            total = total + o.EirWeight * eirValue;
        }
        return new AnomalyMoELossTerms(total.MoveToOuterDisposeScope(), reconstruction.MoveToOuterDisposeScope(), patch.MoveToOuterDisposeScope(),
            global.MoveToOuterDisposeScope(), component.MoveToOuterDisposeScope(), esb?.MoveToOuterDisposeScope(), eirValue?.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The CLUB estimators' own training loss on a (no-grad) forward output, for the alternating estimator step
    /// (reference <c>MIEstimator.train_estimator</c>).
    /// </summary>
    public static Tensor EstimatorLoss(AnomalyMoEOutput output, ExpertInformationRepulsion eir, Random? random = null)
    {
        using var scope = NewDisposeScope();
        var (patchFeatures, globalFeatures) = ExpertFeatures(output);
        return eir.EstimatorLoss(patchFeatures, globalFeatures, random ?? Random.Shared).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The EIR features <c>[B,D]</c> of the experts that ran: patch experts' spatial mean of the last decoder group map
    /// (through its hard-mining gate, as in the reference), global experts' spatial mean of the student map.
    /// </summary>
    public static (Tensor[] Patch, Tensor[] Global) ExpertFeatures(AnomalyMoEOutput output) =>
        (output.Patch.Where(p => p is not null).Select(p => p!.Feature()).ToArray(),
         output.Global.Where(g => g is not null).Select(g => g!.Feature()).ToArray());
}
