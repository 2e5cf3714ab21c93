using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;

namespace AnomalyMoE.Interactive.Domains;

/// <summary>Ablation views (notebook 06): the notebook's variants as the cluster job array <c>amoe ablate --plan</c> writes.</summary>
public static class AblationViews
{
    /// <summary>
    /// Writes the grid variants of <paramref name="variants"/> (and the PatchCore baseline) as an ablation plan beside the
    /// study's ablation runs (<see cref="AblationPlan"/>: one resumable script per task, a Slurm job array over them,
    /// plan.json for <c>amoe ablate --collect</c>) and shows how to submit it, the array script and the first task.
    /// Variants that change the preset rather than a switch cannot share a plan and are named as left out.
    /// </summary>
    public static NotebookView JobArray(NotebookStudy study, IEnumerable<StudyVariant> variants)
    {
        var list = variants.ToList();
        var points = list.Where(v => v.Preset is null).Select(v => v.Point).Distinct().ToList();
        var presets = list.Where(v => v.Preset is not null).Select(v => v.Label).ToList();
        var directory = study.AblationDirectory + "-plan";
        var tasks = AblationPlan.Write(directory, new TrainingRun(study.Config, new TrainingSettings(study.Options.Device)), points, baseline: true);
        var array = Path.Combine(directory, AblationPlan.ArrayScript);
        var summary = $"{tasks.Count} tasks ({points.Count} variants and the PatchCore baseline) in {directory}:\n" +
                      string.Join("\n", tasks.Select(t => $"  {t.Index}: {t.Name}")) + "\n\n" +
                      $"sbatch {AblationPlan.Quote(array)}        # one array task per run, on any nodes that see the folder\n" +
                      $"bash {AblationPlan.Quote(Path.Combine(directory, AblationPlan.TaskRunner))} 0   # or one task by hand\n" +
                      $"amoe ablate --collect {AblationPlan.Quote(directory)}   # the comparison, from whichever runs have finished" +
                      (presets.Count > 0 ? $"\n\nLeft out (a plan keeps one preset): {string.Join(", ", presets)}." : "");
        return new NotebookView("job-array", "The same variants as a cluster job array",
            new object[] { new Preformatted(summary), new Preformatted(File.ReadAllText(array)), new Preformatted(File.ReadAllText(tasks[0].Script)) },
            "Each task trains its run with --resume and then evaluates it, so a task the scheduler cuts off continues from its last " +
            "checkpoint when it runs again; the tasks share nothing but the dataset.");
    }
}
