using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;
using AnomalyMoE.Routing;
using AnomalyMoE.Cli.Commands;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Cli.Commands;

public class EngineCommandErrorTests
{
    static (int Code, string Err) Amoe(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = AnomalyMoE.Cli.Cli.Run(args, stdout, stderr);
        return (code, stderr.ToString());
    }

    [Fact]
    public void TrainWithAMissingDataRootNamesIt()
    {
        using var dir = new TempDirectory();
        var (code, err) = Amoe("train", "--data", "/no/such/root", "--out", dir.Combine("run"), "--quiet");
        Assert.Equal(2, code);
        Assert.Contains("/no/such/root", err);
    }

    [Fact]
    public void TrainWithAnUnknownPresetListsThePresets()
    {
        using var dir = new TempDirectory();
        var (code, err) = Amoe("train", "--data", dir.Path, "--preset", "gpu-giant", "--out", dir.Combine("run"), "--quiet");
        Assert.Equal(2, code);
        Assert.Contains("gpu-giant", err);
        Assert.Contains("cpu-small", err);
    }

    [Fact]
    public void TestOfAFolderThatIsNoRunSaysSo()
    {
        using var dir = new TempDirectory();
        var (code, err) = Amoe("test", "--run", dir.Path, "--quiet");
        Assert.Equal(2, code);
        Assert.Contains("config.json", err);
    }

    [Fact]
    public void AblateWithABadGridNamesTheBadPart()
    {
        using var dir = new TempDirectory();
        var (code, err) = Amoe("ablate", "--data", dir.Path, "--grid", "eir=maybe", "--out", dir.Combine("a"));
        Assert.Equal(2, code);
        Assert.Contains("eir=maybe", err);
    }

    [Fact]
    public void GridIsTheCartesianProductOfItsKeys()
    {
        var points = AblationGrid.Parse("eir=on,off;esb=on,off;levels=pcg,p,c,g,pc,pg;topk=1,2,3");
        Assert.Equal(2 * 2 * 6 * 3, points.Count);
        Assert.Equal(points.Count, points.Select(p => p.Name).Distinct().Count());
    }

    [Fact]
    public void GridRoutingKeyNamesEachPointsScope()
    {
        var points = AblationGrid.Parse("routing=all-experts,per-level;topk=1");
        Assert.Equal(["topk-1_routing-all-experts", "topk-1_routing-per-level"], points.Select(p => p.Name).ToArray());
        Assert.Equal([RoutingScope.AllExperts, RoutingScope.PerLevel],
            points.Select(p => p.Apply(new TrainingRunConfig { Preset = "micro", Data = [] }).ResolvePreset().Model.Router.Scope).ToArray());
    }

    [Fact]
    public void GridClipKeyNamesEachPointsClippingAndReachesTheRunConfig()
    {
        var points = AblationGrid.Parse("clip=joint,per-level");
        Assert.Equal(["clip-joint", "clip-per-level"], points.Select(p => p.Name).ToArray());
        var config = points[1].Apply(new TrainingRunConfig { Preset = "micro", Data = [] });
        Assert.Equal(GradientClipScope.PerLevel, config.ResolvePreset().GradientClipping);
        Assert.Equal(GradientClipScope.Joint, points[0].Apply(new TrainingRunConfig { Preset = "micro", Data = [] }).ResolvePreset().GradientClipping);
    }

    [Fact]
    public void GridUnselectedKeyReachesTheRunConfig()
    {
        var points = AblationGrid.Parse("unselected=step,hold");
        Assert.Equal(["unselected-step", "unselected-hold"], points.Select(p => p.Name).ToArray());
        Assert.Equal([UnselectedExpertUpdate.Step, UnselectedExpertUpdate.Hold],
            points.Select(p => p.Apply(new TrainingRunConfig { Preset = "micro", Data = [] }).ResolvePreset().UnselectedExperts).ToArray());
    }

    [Theory]
    [InlineData("--routing", "sideways")]
    [InlineData("--clip", "elementwise")]
    [InlineData("--unselected", "freeze")]
    [InlineData("--execution", "lazy")]
    public void TrainWithAnUnknownSwitchValueNamesIt(string option, string value)
    {
        using var dir = new TempDirectory();
        var (code, err) = Amoe("train", "--data", dir.Path, option, value, "--out", dir.Combine("r"), "--quiet");
        Assert.Equal(2, code);
        Assert.Contains(value, err);
    }

    [Theory]
    [InlineData("routing=diagonal", "diagonal")]
    [InlineData("levels=pcx", "pcx")]
    [InlineData("clip=elementwise", "elementwise")]
    [InlineData("unselected=freeze", "freeze")]
    [InlineData("topk=0", "topk=0")]
    [InlineData("depth=3", "depth")]
    [InlineData("eir", "key=value")]
    public void GridErrorsNameTheProblem(string grid, string named)
    {
        var e = Assert.Throws<AnomalyMoEException>(() => AblationGrid.Parse(grid));
        Assert.Contains(named, e.Message);
    }
}
