using AnomalyMoE.Model;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Training;

public class ParameterInitializationTests
{
    [Fact]
    public void TruncatedNormalReproducesPyTorchsValuesForTheSameSeed()
    {
        // golden/truncated_normal.py: torch 1.13, manual_seed(0), trunc_normal_(empty(3, 4), 0, 0.01, -0.03, 0.03).
        float[] expected = [-9.3581e-05f, 0.007306308f, -0.013432935f, -0.011122099f, -0.005016902f, 0.003417134f, -0.000247676f,
            0.012556273f, -0.001111523f, 0.0033702f, -0.003872072f, -0.002482186f];
        using var generator = new Generator(0);   // its own generator: parallel tests draw from the global one
        using var t = empty(3, 4);
        TorchInit.TruncatedNormal(t, 0, 0.01, -0.03, 0.03, generator);
        var actual = t.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-7f);
    }

    [Fact]
    public void TruncatedNormalStaysInsideItsBoundsWithTheTruncatedSpread()
    {
        using var g = new Generator(7);
        using var t = empty(200_000);
        TorchInit.TruncatedNormal(t, 0, 0.01, -0.03, 0.03, g);
        Assert.True(t.min().item<float>() >= -0.03f && t.max().item<float>() <= 0.03f);
        // A normal truncated at ±3σ keeps 98.66 % of σ.
        Assert.Equal(0.009866, t.std().item<float>(), 0.0001);
    }

    [Fact]
    public void ReferenceInitialisationGivesEveryExpertAndEveryUnitItsOwnWeights()
    {
        manual_seed(3);
        using var model = new AnomalyMoEModel(TrainingPresets.Micro.Model, null);
        ParameterInitialization.ApplyReference(model);
        var weights = model.named_parameters().Where(p => p.name.EndsWith("bottleneck.0.fc1.weight", StringComparison.Ordinal)).Select(p => p.parameter).ToList();
        Assert.Equal(2, weights.Count);
        Assert.False(weights[0].allclose(weights[1]));
        Assert.True(weights[0].std().item<float>() > 0.005f);
    }
}
