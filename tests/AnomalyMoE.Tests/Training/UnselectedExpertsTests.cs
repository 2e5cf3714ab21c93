using AnomalyMoE.Training.Switches;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Training;

public class UnselectedExpertsTests
{
    [Fact]
    public void PrefixesNameTheExpertsNoImageSelectedInRoutingOrder()
    {
        var options = TrainingPresets.Micro.Model;   // 2 patch, 2 global, 2 component experts
        // Image 0 selects patch_0, global_1, component_0; image 1 selects patch_0, global_1, component_1.
        using var mask = tensor(new float[] { 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1 }).reshape(2, 6);
        Assert.Equal(["patch_experts.1.", "global_experts.0."], UnselectedExperts.Prefixes(mask, options));
    }

    [Fact]
    public void AMaskOfTheWrongWidthIsRejected()
    {
        using var mask = ones(2, 5);
        var e = Assert.Throws<ArgumentException>(() => UnselectedExperts.Prefixes(mask, TrainingPresets.Micro.Model));
        Assert.Contains("5 experts", e.Message);
    }

    [Theory]
    [InlineData("step", UnselectedExpertUpdate.Step)]
    [InlineData(" HOLD ", UnselectedExpertUpdate.Hold)]
    public void ParseReadsBothNames(string text, UnselectedExpertUpdate expected) =>
        Assert.Equal(expected, RunSwitches.Unselected.Parse(text));

    [Fact]
    public void ParseNamesTheBadValue()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => RunSwitches.Unselected.Parse("freeze"));
        Assert.Contains("'freeze'", e.Message);
    }
}
