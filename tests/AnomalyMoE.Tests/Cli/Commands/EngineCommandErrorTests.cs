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

    // Every verb reads --device and --precision with the switch table's entries, so a bad value gets the error train gives.
    [Theory]
    [InlineData("test --run RUN")]
    [InlineData("predict --run RUN --images RUN --out OUT")]
    [InlineData("quickstart --out OUT")]
    [InlineData("bench step --preset micro")]
    [InlineData("bench train --preset micro")]
    [InlineData("bench profile --preset micro")]
    [InlineData("bench gpu --out OUT")]
    [InlineData("bench encoder --model tiny")]
    [InlineData("bench resnet")]
    public void A_bad_device_exits_2_with_the_error_train_gives(string verb)
    {
        using var dir = new TempDirectory();
        var (code, err) = Amoe([.. Words(verb, dir), "--device", "tpu"]);
        Assert.Equal(2, code);
        Assert.Equal($"error: {TrainError(() => RunSwitches.Device.Parse("tpu"))}", err.TrimEnd());
    }

    [Theory]
    [InlineData("test --run RUN")]
    [InlineData("predict --run RUN --images RUN --out OUT")]
    [InlineData("quickstart --out OUT")]
    [InlineData("bench step --preset micro")]
    [InlineData("bench train --preset micro")]
    public void A_bad_precision_exits_2_with_the_error_train_gives(string verb)
    {
        using var dir = new TempDirectory();
        var (code, err) = Amoe([.. Words(verb, dir), "--precision", "fp16"]);
        Assert.Equal(2, code);
        Assert.Equal($"error: {TrainError(() => RunSwitches.Precision.Parse("fp16"))}", err.TrimEnd());
    }

    static string[] Words(string verb, TempDirectory dir) =>
        verb.Replace("RUN", dir.Path).Replace("OUT", dir.Combine("out")).Split(' ');

    static string TrainError(Action parse) => Assert.Throws<AnomalyMoEException>(parse).Message;

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
