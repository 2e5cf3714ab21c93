using System.Diagnostics;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;

namespace AnomalyMoE.Tests.Training.Switches;

/// <summary><c>amoe ablate … --plan DIR</c> and <c>--collect DIR</c>, with plain bash as the scheduler.</summary>
[Collection(EngineCollection.Name)]
public class AblationPlanTests(EngineFixture fixture)
{
    static (int Code, string Out, string Err) Amoe(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = AnomalyMoE.Cli.Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs a script with bash as a Slurm array task would: <c>SLURM_ARRAY_TASK_ID</c> set, <c>$AMOE</c> the built CLI.</summary>
    static (int Code, string Output) Bash(string script, int? taskId, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["AMOE"] = $"dotnet {Path.Combine(AppContext.BaseDirectory, "amoe.dll")}";
        if (taskId is { } id) start.Environment["SLURM_ARRAY_TASK_ID"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        else start.Environment.Remove("SLURM_ARRAY_TASK_ID");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3))) process.Kill(entireProcessTree: true);
        return (process.ExitCode, output.Result + error.Result);
    }

    static TrainingRun Base(IReadOnlyList<DataRoot> data) =>
        new(new TrainingRunConfig { Preset = "micro", Data = data, Iterations = 1 }, new TrainingSettings(DeviceChoice.Cpu, Resume: true, FeatureCacheMiB: 0));

    [Fact]
    public void A_plan_has_one_resumable_task_per_point_and_one_for_the_baseline_in_a_slurm_array()
    {
        using var dir = new TempDirectory();
        var points = AblationGrid.Parse("eir=on,off;topk=1,2");
        var tasks = AblationPlan.Write(dir.Path, Base([new DataRoot("/data/mvtec", ["bottle", "screw"])]), points, baseline: true);

        Assert.Equal(points.Select(p => p.Name).Append("patchcore"), tasks.Select(t => t.Name));
        Assert.Equal(Enumerable.Range(0, points.Count + 1), tasks.Select(t => t.Index));
        foreach (var (task, point) in tasks.Zip(points))
        {
            var script = File.ReadAllText(task.Script);
            Assert.Contains("'--resume'", script);
            Assert.Contains($"'--out' '{task.Run}'", script);
            Assert.Contains("'--categories' 'bottle,screw'", script);
            foreach (var setting in point.Settings) Assert.Contains($"'{setting.Switch.Flag}' '{setting.Value}'", script);
        }
        Assert.Contains("'--method' 'patchcore'", File.ReadAllText(tasks[^1].Script));
        Assert.Contains($"#SBATCH --array=0-{tasks.Count - 1}", File.ReadAllText(Path.Combine(dir.Path, AblationPlan.ArrayScript)));
        Assert.Equal(tasks, AblationPlan.Read(dir.Path));
    }

    [Fact]
    public void The_task_runner_refuses_an_index_outside_the_plan()
    {
        using var dir = new TempDirectory();
        AblationPlan.Write(dir.Path, Base([new DataRoot("/data", [])]), AblationGrid.Parse("eir=on,off"), baseline: false);
        var (code, output) = Bash(Path.Combine(dir.Path, AblationPlan.TaskRunner), null, "5");
        Assert.Equal(2, code);
        Assert.Contains("no ablation task 5", output);
    }

    [Fact]
    public void Bash_runs_the_array_tasks_in_any_order_and_collect_names_the_unfinished_ones()
    {
        var data = fixture.OneCategory[0];
        var plan = Path.Combine(fixture.NewRunFolder(), "plan");
        var (code, _, err) = Amoe("ablate", "--data", data.Root, "--categories", data.Categories[0], "--preset", "micro", "--iters", "1",
            "--grid", "eir=on,off", "--plan", plan, "--device", "cpu", "--feature-cache-mib", "0");
        Assert.True(code == 0, err);
        var tasks = AblationPlan.Read(plan);
        Assert.Equal(["eir-on", "eir-off", "patchcore"], tasks.Select(t => t.Name));
        var array = Path.Combine(plan, AblationPlan.ArrayScript);

        // The baseline first, then a grid point; the other point has not run.
        foreach (var index in new[] { 2, 1 })
        {
            var (taskCode, output) = Bash(array, index);
            Assert.True(taskCode == 0, output);
        }
        (code, var stdout, err) = Amoe("ablate", "--collect", plan);
        Assert.True(code == 0, err);
        Assert.Contains("| eir-off |", stdout);
        Assert.Contains("| patchcore |", stdout);
        Assert.DoesNotContain("| eir-on |", stdout);
        Assert.Contains("missing 1 of 3 runs", err);
        Assert.Contains("eir-on", err);
        Assert.Contains("eir-on", File.ReadAllText(Path.Combine(plan, "ablation.md")));

        var (lastCode, lastOutput) = Bash(array, 0);
        Assert.True(lastCode == 0, lastOutput);
        (code, stdout, err) = Amoe("ablate", "--collect", plan);
        Assert.True(code == 0, err);
        Assert.Contains("| eir-on |", stdout);
        Assert.DoesNotContain("missing", err);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(plan, "ablation.csv")).Length);
    }

    [Fact]
    public void Collect_of_a_folder_without_a_plan_names_it()
    {
        using var dir = new TempDirectory();
        var (code, _, err) = Amoe("ablate", "--collect", dir.Path);
        Assert.Equal(2, code);
        Assert.Contains(dir.Path, err);
        Assert.Contains("--plan", err);
    }
}
