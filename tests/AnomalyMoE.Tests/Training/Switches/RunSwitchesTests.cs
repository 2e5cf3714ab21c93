using System.Text.Json;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;

namespace AnomalyMoE.Tests.Training.Switches;

/// <summary>Every switch of the table reaches config.json, survives a resume, and a resume that changes it is refused naming it.</summary>
[Collection(EngineCollection.Name)]
public class RunSwitchesTests(EngineFixture fixture)
{
    static (int Code, string Err) Amoe(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = AnomalyMoE.Cli.Cli.Run(args, stdout, stderr);
        return (code, stderr.ToString());
    }

    /// <summary>A value of each identity switch that differs from micro's own.</summary>
    public static TheoryData<string, string> IdentityValues() => new()
    {
        { "--levels", "pg" }, { "--topk", "2" }, { "--routing", "all-experts" }, { "--clip", "per-level" }, { "--unselected", "step" },
        { "--eir", "off" }, { "--esb", "off" }, { "--execution", "sparse" }, { "--hard-mining-mask", "own-group" }, { "--club", "textbook" },
        { "--test-groups", "training-groups" }, { "--scoring", "set-min-max" }, { "--fusion", "sum" }, { "--fusion", "max" }, { "--fusion-temperature", "1" }, { "--global-view", "jittered" },
        { "--hm-ramp", "50" }, { "--eir-estimator", "main-forward" }, { "--global-input", "tokens" }, { "--holdout", "0.5" },
        { "--global-map", "layout-error" }, { "--global-map", "layout-memory" }, { "--global-input", "layout" }, { "--component-map", "memory" },
        { "--lr", "0.001" }, { "--batch", "1" }, { "--seed", "7" },
    };

    [Fact]
    public void The_theory_covers_every_flagged_method_switch()
    {
        var covered = IdentityValues().Select(row => (string)row[0]).ToHashSet();
        Assert.All(RunSwitches.MethodSwitches, s => Assert.Contains(s.Flag!, covered));
    }

    [Theory]
    [MemberData(nameof(IdentityValues))]
    public void A_switch_value_reaches_config_json_survives_resume_and_a_changed_value_is_refused(string flag, string value)
    {
        var runSwitch = RunSwitches.All.Single(s => s.Flag == flag);
        var data = fixture.OneCategory[0];
        var run = new RunDirectory(fixture.NewRunFolder());
        string[] common = ["train", "--data", data.Root, "--categories", data.Categories[0], "--preset", "micro", "--iters", "2",
            "--out", run.Root, "--device", "cpu", "--quiet", "--feature-cache-mib", "0"];

        var (code, err) = Amoe([.. common, flag, value, "--stop-after", "1"]);
        Assert.True(code == 0, err);
        using (var json = JsonDocument.Parse(File.ReadAllText(run.ConfigPath)))
            Assert.Equal(value, Text(json.RootElement.GetProperty(runSwitch.JsonKey!)));

        // Resuming without the switch asks for the preset's value: refused, naming the switch, the saved and the given value.
        (code, err) = Amoe([.. common, "--resume"]);
        Assert.Equal(2, code);
        Assert.Contains(flag, err);
        Assert.Contains($"saved {value}", err);
        Assert.DoesNotContain("   at ", err);

        (code, err) = Amoe([.. common, flag, value, "--resume"]);
        Assert.True(code == 0, err);
        using var checkpoint = TrainingCheckpoint.Load(run.LastCheckpointPath);
        Assert.Equal(2, checkpoint.Iteration);
        var saved = TrainingRunConfig.FromJson(checkpoint.Texts["config"], run.LastCheckpointPath);
        Assert.Equal(value, runSwitch.Effective(new TrainingRun(saved, new TrainingSettings()), saved.ResolvePreset()));

        // The evaluation report says what it measured.
        (code, err) = Amoe(["test", "--run", run.Root, "--overlays", "0", "--device", "cpu", "--quiet"]);
        Assert.True(code == 0, err);
        Assert.Equal(value, ReportedSwitch(run, runSwitch));
    }

    static string? ReportedSwitch(RunDirectory run, RunSwitch runSwitch)
    {
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.ReportsDirectory, "metrics.json")));
        return metrics.RootElement.GetProperty("switches").TryGetProperty(runSwitch.JsonKey!, out var v) ? v.GetString() : null;
    }

    /// <summary>The switches a PatchCore run has (its scoring and the run's own fields), each value differing from micro's.</summary>
    [Theory]
    [InlineData("--scoring", "set-min-max")]
    [InlineData("--holdout", "0.25")]
    [InlineData("--seed", "7")]
    public void A_patchcore_switch_value_reaches_config_json_and_the_report_and_a_changed_value_is_refused(string flag, string value)
    {
        var runSwitch = RunSwitches.All.Single(s => s.Flag == flag);
        var data = fixture.OneCategory[0];
        var run = new RunDirectory(fixture.NewRunFolder());
        string[] common = ["train", "--method", "patchcore", "--data", data.Root, "--categories", data.Categories[0], "--preset", "micro",
            "--out", run.Root, "--device", "cpu", "--quiet"];

        var (code, err) = Amoe([.. common, flag, value]);
        Assert.True(code == 0, err);
        using (var json = JsonDocument.Parse(File.ReadAllText(run.ConfigPath)))
            Assert.Equal(value, Text(json.RootElement.GetProperty(runSwitch.JsonKey!)));
        (code, err) = Amoe(["test", "--run", run.Root, "--overlays", "0", "--device", "cpu", "--quiet"]);
        Assert.True(code == 0, err);
        Assert.Equal(value, ReportedSwitch(run, runSwitch));
        Assert.Null(ReportedSwitch(run, RunSwitches.TopK));   // no experts, so no expert switches

        (code, err) = Amoe(common);
        Assert.Equal(2, code);
        Assert.Contains($"{flag}: saved {value}", err);
        Assert.DoesNotContain("   at ", err);
    }

    /// <summary>
    /// The run's other identity fields, each changed from the trained run (micro on the root's first category, fp32, the
    /// preset's encoder): WEIGHTS is an existing file (never read: the refusal comes first), OTHER another category of the root.
    /// </summary>
    [Theory]
    [InlineData("--preset", "--preset cpu-tiny")]
    [InlineData("--method", "--method patchcore")]
    [InlineData("data", "--categories OTHER")]
    [InlineData("--encoder", "--encoder resnet50 --encoder-weights WEIGHTS")]
    [InlineData("--encoder-weights", "--encoder-weights WEIGHTS")]
    [InlineData("--precision", "--precision bf16")]
    public void A_resume_that_changes_a_run_field_is_refused_naming_it(string named, string change)
    {
        var root = fixture.Roots[0].Root;
        var categories = AnomalyMoE.Data.MvtecDatasetReader.DiscoverCategories(root);
        var run = new RunDirectory(fixture.NewRunFolder());
        var weights = run.Root + "-weights.pth";
        Directory.CreateDirectory(Path.GetDirectoryName(weights)!);
        File.WriteAllBytes(weights, [0]);
        var options = new Dictionary<string, string> { ["--preset"] = "micro", ["--categories"] = categories[0] };
        string[] Train(params string[] extra) => ["train", "--data", root, "--iters", "2", "--out", run.Root, "--device", "cpu", "--quiet",
            "--feature-cache-mib", "0", .. options.SelectMany(o => new[] { o.Key, o.Value }), .. extra];

        var (code, err) = Amoe(Train("--stop-after", "1"));
        Assert.True(code == 0, err);
        var words = change.Replace("WEIGHTS", weights).Replace("OTHER", categories[1]).Split(' ');
        for (int i = 0; i < words.Length; i += 2) options[words[i]] = words[i + 1];

        (code, err) = Amoe(Train("--resume"));
        Assert.Equal(2, code);
        Assert.Contains($"{named}: saved ", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void A_resume_may_change_the_iterations_and_the_checkpoint_interval()
    {
        var data = fixture.OneCategory;
        var run = new RunDirectory(fixture.NewRunFolder());
        var config = new TrainingRunConfig { Preset = "micro", Data = data, Iterations = 2 };
        AnomalyMoETrainer.Train(run, config, new TrainingSettings(AnomalyMoE.Runtime.DeviceChoice.Cpu, StopAfter: 1, FeatureCacheMiB: 0));
        var resumed = AnomalyMoETrainer.Train(run, config with { Iterations = 3 },
            new TrainingSettings(AnomalyMoE.Runtime.DeviceChoice.Cpu, Resume: true, CheckpointEvery: 1, FeatureCacheMiB: 0));
        Assert.Equal((1, 3), (resumed.StartIteration, resumed.CompletedIterations));
    }

    [Fact]
    public void Config_json_writes_the_method_as_the_command_line_does()
    {
        var config = new TrainingRunConfig { Preset = "micro", Data = [], Method = DetectionMethod.PatchCore };
        using var json = JsonDocument.Parse(config.ToJson());
        Assert.Equal("patchcore", json.RootElement.GetProperty("method").GetString());
        Assert.Contains("\"anomalymoe\"", (config with { Method = DetectionMethod.AnomalyMoE }).ToJson());
        Assert.Equal(DetectionMethod.PatchCore, TrainingRunConfig.FromJson(config.ToJson(), "test").Method);
        // A config.json written before the method was stored by its CLI name still reads.
        Assert.Equal(DetectionMethod.AnomalyMoE, TrainingRunConfig.FromJson("""{"preset":"micro","data":[],"method":"anomaly-mo-e"}""", "old").Method);
    }

    [Fact]
    public void Every_grid_key_names_a_distinct_switch_and_every_identity_switch_is_saved()
    {
        Assert.Equal(RunSwitches.ByGridKey.Count, RunSwitches.All.Count(s => s.GridKey is not null));
        Assert.All(RunSwitches.All.Where(s => s.Identity), s => Assert.NotNull(s.JsonKey));
        Assert.Equal(RunSwitches.All.Count, RunSwitches.All.Select(s => s.Spelling).Distinct().Count());
    }

    [Theory]
    [InlineData("--checkpoint-every", "0")]
    [InlineData("--iters", "0")]
    [InlineData("--stop-after", "0")]
    [InlineData("--lr", "-1")]
    [InlineData("--batch", "two")]
    [InlineData("--topk", "0")]
    [InlineData("--seed", "abc")]
    [InlineData("--precision", "fp8")]
    [InlineData("--device", "tpu")]
    [InlineData("--feature-cache-mib", "-1")]
    [InlineData("--eir", "maybe")]
    [InlineData("--hard-mining-mask", "middle")]
    [InlineData("--club", "other")]
    [InlineData("--scoring", "zscore")]
    [InlineData("--global-view", "blurred")]
    [InlineData("--method", "knn")]
    [InlineData("--preset", "gpu-giant")]
    [InlineData("--encoder-weights", "/no/such/weights.pth")]
    public void A_bad_value_exits_2_naming_the_option_and_the_value_without_a_stack_trace(string flag, string value)
    {
        using var dir = new TempDirectory();
        foreach (var verb in flag is "--method" or "--stop-after" ? new[] { "train" } : ["train", "ablate"])
        {
            string[] args = verb == "train"
                ? ["train", "--data", dir.Path, flag, value, "--out", dir.Combine("r"), "--quiet"]
                : ["ablate", "--data", dir.Path, "--grid", "eir=off", flag, value, "--out", dir.Combine("a"), "--quiet"];
            var (code, err) = Amoe(args);
            Assert.True(code == 2, $"{verb}: exit {code}: {err}");
            Assert.Contains(flag, err);
            Assert.Contains(value, err);
            Assert.DoesNotContain("   at ", err);
        }
    }

    static string Text(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.True => "on",
        JsonValueKind.False => "off",
        JsonValueKind.String => element.GetString()!,
        _ => element.GetRawText(),
    };
}
