using System.Text;
using System.Text.Json;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Training.Switches;

/// <summary>One task of an ablation plan: a grid point's run (or the PatchCore baseline), trained and evaluated by one script.</summary>
/// <param name="Index">The task's index in the job array (0-based, as Slurm's <c>SLURM_ARRAY_TASK_ID</c>).</param>
/// <param name="Name">The run's name: the grid point's <see cref="AblationPoint.Name"/>, or <c>patchcore</c>.</param>
/// <param name="Run">The run folder (absolute).</param>
/// <param name="GridPoint">The point in grid syntax; null for the baseline or the default point.</param>
/// <param name="Script">The task's bash script (absolute).</param>
public sealed record AblationTask(int Index, string Name, string Run, string? GridPoint, string Method, string Script)
{
    /// <summary>The report the task's evaluation writes; its presence marks the task finished.</summary>
    public string MetricsPath => Path.Combine(Run, "reports", "metrics.json");
}

/// <summary>
/// An ablation grid written for an existing scheduler instead of run in one process (<c>amoe ablate … --plan DIR</c>):
/// <c>tasks/NNN-name.sh</c>, one independent bash script per grid point and one for the PatchCore baseline, each training
/// its run with <c>--resume</c> (so a task cut off by the scheduler continues where its last checkpoint left it) and then
/// evaluating it; <c>run-task.sh INDEX</c>, which runs task INDEX (default <c>$SLURM_ARRAY_TASK_ID</c>); <c>ablation.sbatch</c>,
/// a Slurm job array over every task; and <c>plan.json</c>, which <see cref="Read"/> gives back to <c>amoe ablate --collect DIR</c>.
/// Tasks share nothing but the dataset, so they may run in any order, on any machines that see DIR.
/// The scripts call <c>$AMOE</c> (default <c>amoe</c>), so another installation can be chosen at run time.
/// </summary>
public static class AblationPlan
{
    public const string PlanFile = "plan.json";
    public const string ArrayScript = "ablation.sbatch";
    public const string TaskRunner = "run-task.sh";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    sealed record PlanDocument(IReadOnlyList<AblationTask> Tasks);

    /// <summary>
    /// Writes the plan for <paramref name="points"/> (each applied to <paramref name="baseRun"/>) and, with
    /// <paramref name="baseline"/>, the PatchCore baseline as one more task; returns the tasks.
    /// </summary>
    public static IReadOnlyList<AblationTask> Write(string directory, TrainingRun baseRun, IReadOnlyList<AblationPoint> points, bool baseline)
    {
        var root = Path.GetFullPath(directory);
        var tasksDir = Path.Combine(root, "tasks");
        Directory.CreateDirectory(tasksDir);
        Directory.CreateDirectory(Path.Combine(root, "logs"));
        var runs = points.Select(p => (p.Name, p.GridPoint, Config: p.Apply(baseRun.Config))).ToList();
        if (baseline) runs.Add(("patchcore", null, baseRun.Config with { Method = DetectionMethod.PatchCore }));
        var tasks = new List<AblationTask>();
        foreach (var (name, gridPoint, config) in runs)
        {
            int index = tasks.Count;
            var runDir = Path.Combine(root, name);
            var script = Path.Combine(tasksDir, $"{index:000}-{name}.sh");
            var run = baseRun with { Config = config };
            AtomicFile.WriteText(script, TaskScript(run, runDir, name));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
            tasks.Add(new AblationTask(index, name, runDir, gridPoint, RunSwitches.MethodName(config.Method), script));
        }
        AtomicFile.WriteText(Path.Combine(root, TaskRunner), Runner(tasks));
        AtomicFile.WriteText(Path.Combine(root, ArrayScript), SlurmArray(root, tasks.Count));
        AtomicFile.WriteText(Path.Combine(root, PlanFile), JsonSerializer.Serialize(new PlanDocument(tasks), Json));
        return tasks;
    }

    /// <summary>The tasks of the plan in <paramref name="directory"/>; an error names the folder when it holds no plan.</summary>
    public static IReadOnlyList<AblationTask> Read(string directory)
    {
        var path = Path.Combine(Path.GetFullPath(directory), PlanFile);
        if (!File.Exists(path)) throw new AnomalyMoEException($"'{directory}' holds no ablation plan ({PlanFile}); write one with `amoe ablate … --plan {directory}`.");
        try
        {
            return JsonSerializer.Deserialize<PlanDocument>(File.ReadAllText(path), Json)?.Tasks ?? throw new AnomalyMoEException($"'{path}' holds no tasks.");
        }
        catch (JsonException e)
        {
            throw new AnomalyMoEException($"'{path}' is not a valid ablation plan: {e.Message}", e);
        }
    }

    /// <summary>The <c>amoe train</c> arguments that train <paramref name="run"/> into <paramref name="runDir"/>, resuming its checkpoint.</summary>
    public static IReadOnlyList<string> TrainArguments(TrainingRun run, string runDir)
    {
        var config = run.Config;
        var args = new List<string> { "train", "--data", string.Join(',', config.Data.Select(d => d.Root)) };
        var categories = config.Data.SelectMany(d => d.Categories).Distinct(StringComparer.Ordinal).ToList();
        if (categories.Count > 0) args.AddRange(["--categories", string.Join(',', categories)]);
        args.AddRange(["--out", runDir, "--quiet"]);
        if (config.Method == DetectionMethod.AnomalyMoE) args.Add("--resume");
        foreach (var s in RunSwitches.All)
        {
            if (s.Flag is null || s == RunSwitches.StopAfter) continue;
            if (s.Explicit(run) is { } value) args.AddRange([s.Flag, value]);
        }
        return args;
    }

    static string TaskScript(TrainingRun run, string runDir, string name)
    {
        var test = new[] { "test", "--run", runDir, "--quiet", "--device", RunSwitches.Device.Format(run.Settings.Device),
            "--precision", RunSwitches.Precision.Format(run.Settings.Precision) };
        return new StringBuilder("#!/usr/bin/env bash\n")
            .Append($"# Ablation task '{name}': trains (resuming its checkpoint) and evaluates one run; safe to run again.\n")
            .Append("set -euo pipefail\nAMOE=${AMOE:-amoe}\n")
            .Append("$AMOE ").AppendJoin(' ', TrainArguments(run, runDir).Select(Quote)).Append('\n')
            .Append("$AMOE ").AppendJoin(' ', test.Select(Quote)).Append('\n')
            .ToString();
    }

    static string Runner(IReadOnlyList<AblationTask> tasks)
    {
        var sb = new StringBuilder("#!/usr/bin/env bash\n# Runs ablation task INDEX (default: $SLURM_ARRAY_TASK_ID): bash run-task.sh INDEX\nset -euo pipefail\n");
        sb.Append("index=${1:-${SLURM_ARRAY_TASK_ID:?give a task index 0..").Append(tasks.Count - 1).Append(" or run under a Slurm job array}}\n");
        sb.Append("case \"$index\" in\n");
        foreach (var t in tasks) sb.Append("  ").Append(t.Index).Append(") exec bash ").Append(Quote(t.Script)).Append(" ;;\n");
        sb.Append("  *) echo \"no ablation task $index (tasks 0..").Append(tasks.Count - 1).Append(")\" >&2; exit 2 ;;\nesac\n");
        return sb.ToString();
    }

    static string SlurmArray(string root, int count) =>
        "#!/usr/bin/env bash\n"
        + "# Every ablation task as one Slurm job array: sbatch [--gres=gpu:1 --time=… --partition=…] " + Quote(Path.Combine(root, ArrayScript)) + "\n"
        + "#SBATCH --job-name=amoe-ablate\n"
        + $"#SBATCH --array=0-{count - 1}\n"
        + $"#SBATCH --output={Path.Combine(root, "logs", "%A_%a.log")}\n"
        + "set -euo pipefail\n"
        + $"exec bash {Quote(Path.Combine(root, TaskRunner))} \"${{SLURM_ARRAY_TASK_ID:?not a Slurm array task}}\"\n";

    /// <summary>One bash word: single-quoted, with embedded quotes closed, escaped and reopened.</summary>
    public static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
