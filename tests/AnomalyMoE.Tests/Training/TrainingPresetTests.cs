using AnomalyMoE.Routing;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;

namespace AnomalyMoE.Tests.Training;

public class TrainingPresetTests
{
    [Fact]
    public void EveryPresetValidates()
    {
        foreach (var preset in TrainingPresets.All.Values) preset.Validate();
    }

    [Fact]
    public void PaperPresetIsTheReferenceConfiguration()
    {
        var p = TrainingPresets.Paper;
        Assert.Equal((6, 6, 6, 3), (p.Model.PatchExperts, p.Model.GlobalExperts, p.Model.ComponentExperts, p.Model.Router.TopK));
        Assert.Equal((448, 392), (p.Transform.ResizeTo, p.Transform.CropTo));
        Assert.Equal((100_000, 8, 5e-4, 100), (p.Iterations, p.BatchSize, p.LearningRate, p.WarmupIterations));
        Assert.Equal("dinov2_vitb14_reg4", p.Model.Encoder!.Name);
    }

    [Fact]
    public void UnknownPresetNamesTheKnownOnes()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => TrainingPresets.Get("cpu-huge"));
        Assert.Contains("cpu-huge", e.Message);
        Assert.Contains("cpu-tiny", e.Message);
    }

    [Fact]
    public void LevelsOverrideRemovesExpertGroupsAndSwitchesEirOffWithoutPairs()
    {
        var config = new TrainingRunConfig { Preset = "cpu-tiny", Data = [], Levels = "pc", TopK = 1 };
        var preset = config.ResolvePreset();
        Assert.Equal(0, preset.Model.GlobalExperts);
        Assert.True(preset.Model.PatchExperts > 0 && preset.Model.ComponentExperts > 0);
        Assert.False(preset.Model.Objectives.UseEir);
        Assert.Equal(1, preset.Model.Router.TopK);
    }

    [Theory]
    [InlineData("")]
    [InlineData("px")]
    [InlineData("pp")]
    public void BadLevelStringsAreRejected(string levels)
    {
        var e = Assert.Throws<AnomalyMoEException>(() => TrainingRunConfig.ParseLevels(levels));
        Assert.Contains("p (patch)", e.Message);
    }

    [Fact]
    public void TopKAboveTheExpertCountIsRejected()
    {
        var config = new TrainingRunConfig { Preset = "cpu-tiny", Data = [], Levels = "p", TopK = 3 };
        Assert.Throws<AnomalyMoEException>(() => config.ResolvePreset());
    }

    [Fact]
    public void RoutingOverrideSetsTheScopeAndBoundsTopKByTheSmallestLevel()
    {
        var preset = new TrainingRunConfig { Preset = "cpu-small", Data = [], Routing = RoutingScope.PerLevel, TopK = 2 }.ResolvePreset();
        Assert.Equal(RoutingScope.PerLevel, preset.Model.Router.Scope);
        Assert.Equal(2, preset.Model.Router.TopK);
        var tooLarge = new TrainingRunConfig { Preset = "cpu-small", Data = [], Routing = RoutingScope.PerLevel, TopK = 4 };
        var e = Assert.Throws<AnomalyMoEException>(() => tooLarge.ResolvePreset());
        Assert.Contains("per-level", e.Message);
    }

    [Fact]
    public void EveryPresetClipsJointlyAsTheReferenceUnlessTheRunSaysOtherwise()
    {
        Assert.All(TrainingPresets.All.Values, p => Assert.Equal(GradientClipScope.Joint, p.GradientClipping));
        var preset = new TrainingRunConfig { Preset = "cpu-tiny", Data = [], Clipping = GradientClipScope.PerLevel }.ResolvePreset();
        Assert.Equal(GradientClipScope.PerLevel, preset.GradientClipping);
    }

    [Fact]
    public void ThePaperPresetStepsUnselectedExpertsAsTheReferenceAndTheCpuPresetsHoldThem()
    {
        Assert.Equal(UnselectedExpertUpdate.Step, TrainingPresets.Paper.UnselectedExperts);
        Assert.All(TrainingPresets.All.Values.Where(p => p.Name != "paper"), p => Assert.Equal(UnselectedExpertUpdate.Hold, p.UnselectedExperts));
        var stepping = new TrainingRunConfig { Preset = "cpu-tiny", Data = [], UnselectedExperts = UnselectedExpertUpdate.Step }.ResolvePreset();
        Assert.Equal(UnselectedExpertUpdate.Step, stepping.UnselectedExperts);
    }

    [Fact]
    public void LearningRateOverrideReplacesThePresetsAndIsValidated()
    {
        Assert.Equal(2e-3, new TrainingRunConfig { Preset = "cpu-tiny", Data = [], LearningRate = 2e-3 }.ResolvePreset().LearningRate);
        Assert.Throws<AnomalyMoEException>(() => new TrainingRunConfig { Preset = "cpu-tiny", Data = [], LearningRate = -1 }.ResolvePreset());
    }

    [Fact]
    public void ConfigRoundTripsThroughJson()
    {
        var config = new TrainingRunConfig
        {
            Preset = "micro", Data = [new DataRoot("/x", ["a", "b"])], Iterations = 7, Levels = "pg", UseEsb = false, Method = DetectionMethod.PatchCore,
            Routing = RoutingScope.PerLevel, LearningRate = 1e-3, Clipping = GradientClipScope.PerLevel,
        };
        var back = TrainingRunConfig.FromJson(config.ToJson(), "test");
        Assert.Equal(config.ToJson(), back.ToJson());
        Assert.Equal(DetectionMethod.PatchCore, back.Method);
        Assert.Equal(RoutingScope.PerLevel, back.Routing);
        Assert.Equal(1e-3, back.LearningRate);
        Assert.Equal(GradientClipScope.PerLevel, back.Clipping);
        Assert.Contains("\"clipping\": \"per-level\"", config.ToJson());
        Assert.Equal(["a", "b"], back.Data[0].Categories);
    }
}
