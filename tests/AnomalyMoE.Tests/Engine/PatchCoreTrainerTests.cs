using AnomalyMoE.Engine;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Tests.Training;
using AnomalyMoE.Training;

namespace AnomalyMoE.Tests.Engine;

/// <summary>A PatchCore run folder holds banks built for the run its config.json describes.</summary>
[Collection(EngineCollection.Name)]
public class PatchCoreTrainerTests(EngineFixture fixture)
{
    static (int Code, string Err) Amoe(params string[] args)
    {
        var stderr = new StringWriter();
        var code = AnomalyMoE.Cli.Cli.Run(args, new StringWriter(), stderr);
        return (code, stderr.ToString());
    }

    [Fact]
    public void Building_a_patchcore_run_again_with_another_identity_is_refused_naming_the_switch()
    {
        var data = fixture.OneCategory[0];
        var run = new RunDirectory(fixture.NewRunFolder());
        string[] common = ["train", "--method", "patchcore", "--data", data.Root, "--categories", data.Categories[0], "--preset", "micro",
            "--out", run.Root, "--device", "cpu", "--quiet"];
        var (code, err) = Amoe(common);
        Assert.True(code == 0, err);
        var config = File.ReadAllText(run.ConfigPath);

        (code, err) = Amoe([.. common, "--seed", "7"]);
        Assert.Equal(2, code);
        Assert.Contains("--seed: saved 42, given 7", err);
        Assert.DoesNotContain("   at ", err);
        Assert.Equal(config, File.ReadAllText(run.ConfigPath));   // the saved run is left as it was

        (code, err) = Amoe(common);   // the same run again reuses its banks
        Assert.True(code == 0, err);
    }
}
