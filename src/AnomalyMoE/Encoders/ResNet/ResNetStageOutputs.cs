using static TorchSharp.torch;

namespace AnomalyMoE.Encoders.ResNet;

/// <summary>Per-block outputs of every stage for one batch (owned; dispose after use).</summary>
public sealed class ResNetStageOutputs(IReadOnlyList<IReadOnlyList<Tensor>> stages) : IDisposable
{
    /// <summary><c>Stages[s][b]</c>: output of block b of stage s, <c>[B, C_s, H_s, W_s]</c>.</summary>
    public IReadOnlyList<IReadOnlyList<Tensor>> Stages { get; } = stages;

    public void Dispose()
    {
        foreach (var stage in Stages) foreach (var t in stage) t.Dispose();
    }
}
