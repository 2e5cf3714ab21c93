using AnomalyMoE.Training.Switches;
using AnomalyMoE.Model;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace AnomalyMoE.Tests.Training;

public class GradientClippingTests
{
    // Every trainable parameter gets a gradient of `scale` in each element: the patch experts a large one, the rest a small one.
    static AnomalyMoEModel ModelWithGradients(double patchGradient, double otherGradient)
    {
        var model = new AnomalyMoEModel(TrainingPresets.Micro.Model, null);
        var patch = model.PatchExperts.SelectMany(e => e.parameters()).ToHashSet();
        foreach (var p in model.TrainableParameters())
            p.grad = full_like(p, patch.Contains(p) ? patchGradient : otherGradient);
        return model;
    }

    static double Norm(IEnumerable<Parameter> parameters) =>
        Math.Sqrt(parameters.Sum(p => p.grad!.pow(2).sum().item<float>()));

    [Fact]
    public void JointClippingScalesEveryGradientByTheSameFactorToTheLimit()
    {
        using var model = ModelWithGradients(1.0, 1e-3);
        var router = model.Router.parameters().First();
        GradientClipping.Clip(model, GradientClipScope.Joint, 0.1);
        Assert.Equal(0.1, Norm(model.TrainableParameters()), 1e-4);
        // The large patch gradient sets the factor, so the router's small gradient is scaled down with it.
        Assert.True(router.grad!.abs().max().item<float>() < 1e-4f);
    }

    [Fact]
    public void PerLevelClippingLimitsEachGroupByItsOwnNormAndLeavesSmallGroupsAlone()
    {
        using var model = ModelWithGradients(1.0, 1e-5);
        GradientClipping.Clip(model, GradientClipScope.PerLevel, 0.1);
        var groups = GradientClipping.Groups(model).ToList();
        Assert.Equal(4, groups.Count);
        Assert.Equal(0.1, Norm(groups[0]), 1e-4);   // patch experts: clipped to the limit
        foreach (var group in groups.Skip(1))
            Assert.All(group, p => Assert.Equal(1e-5f, p.grad!.abs().max().item<float>(), 1e-9f));   // below the limit: untouched
    }

    [Fact]
    public void PerLevelGroupsCoverEveryTrainableParameterOnce()
    {
        using var model = new AnomalyMoEModel(TrainingPresets.Micro.Model, null);
        var grouped = GradientClipping.Groups(model).SelectMany(g => g).ToList();
        Assert.Equal(model.TrainableParameters().Count(), grouped.Count);
        Assert.Equal(grouped.Count, grouped.Distinct().Count());
    }

    [Theory]
    [InlineData("joint", GradientClipScope.Joint)]
    [InlineData(" Per-Level ", GradientClipScope.PerLevel)]
    public void ParseReadsBothNames(string text, GradientClipScope expected) =>
        Assert.Equal(expected, RunSwitches.Clipping.Parse(text));

    [Fact]
    public void ParseNamesTheBadValueAndTheChoices()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => RunSwitches.Clipping.Parse("global"));
        Assert.Contains("'global'", e.Message);
        Assert.Contains("per-level", e.Message);
    }
}
