using AnomalyMoE.Runtime;

namespace AnomalyMoE.Training.Switches;

/// <summary>One switch of an ablation point and its value, written as the switch reads it.</summary>
public sealed record SwitchSetting(RunSwitch Switch, string Value);

/// <summary>
/// One ablation setting: the switches a grid point changes (the rest stay the preset's). Its <see cref="Name"/> names the
/// point's run folder and its <see cref="GridPoint"/> is the point in <c>amoe ablate --grid</c> syntax, so the command line
/// and the notebooks agree on both. Settings are kept in <see cref="RunSwitches.All"/> order.
/// </summary>
public sealed class AblationPoint : IEquatable<AblationPoint>
{
    AblationPoint(IReadOnlyList<SwitchSetting> settings) => Settings = settings;

    /// <summary>The point that changes nothing.</summary>
    public static AblationPoint Default { get; } = new([]);

    public IReadOnlyList<SwitchSetting> Settings { get; }

    /// <summary>Whether no switch changes.</summary>
    public bool IsDefault => Settings.Count == 0;

    /// <summary>The run folder's name, e.g. <c>levels-p_topk-1_eir-off</c>; <c>default</c> when no switch changes.</summary>
    public string Name => IsDefault ? "default" : string.Join('_', Settings.Select(s => $"{s.Switch.GridKey}-{s.Value}"));

    /// <summary>The point as a grid string, e.g. <c>levels=p;topk=1;eir=off</c>; null when no switch changes.</summary>
    public string? GridPoint => IsDefault ? null : string.Join(';', Settings.Select(s => $"{s.Switch.GridKey}={s.Value}"));

    /// <summary>
    /// The point of the given settings (each value checked and written as its switch writes it). A switch a grid cannot
    /// vary, or one given twice, is an error.
    /// </summary>
    public static AblationPoint Of(IEnumerable<(RunSwitch Switch, string Value)> settings)
    {
        var list = new List<SwitchSetting>();
        var probe = new TrainingRun(new TrainingRunConfig { Preset = TrainingPresets.Micro.Name, Data = [] }, new TrainingSettings());
        foreach (var (s, value) in settings)
        {
            if (s.GridKey is null) throw new AnomalyMoEException($"{s.Spelling} cannot be part of an ablation point.");
            if (list.Any(x => x.Switch == s)) throw new AnomalyMoEException($"Grid key '{s.GridKey}' appears twice.");
            list.Add(new SwitchSetting(s, s.Explicit(s.Set(probe, value))!));
        }
        return new AblationPoint(list.OrderBy(x => IndexOf(x.Switch)).ToList());
    }

    /// <summary>The point a grid string names, e.g. <c>levels=p;topk=1</c>: one value per key.</summary>
    public static AblationPoint Parse(string gridPoint)
    {
        var grid = AblationGrid.Parse(gridPoint);
        return grid.Count == 1 ? grid[0] : throw new AnomalyMoEException($"'{gridPoint}' names {grid.Count} grid points; a variant is one point (one value per key).");
    }

    /// <summary>The value this point gives <paramref name="runSwitch"/>; null when it keeps the preset's.</summary>
    public string? this[RunSwitch runSwitch] => Settings.FirstOrDefault(s => s.Switch == runSwitch)?.Value;

    /// <summary>The run configuration with this point's switches applied.</summary>
    public TrainingRunConfig Apply(TrainingRunConfig config) =>
        Settings.Aggregate(new TrainingRun(config, new TrainingSettings()), (run, s) => s.Switch.Set(run, s.Value)).Config;

    static int IndexOf(RunSwitch s)
    {
        for (int i = 0; i < RunSwitches.All.Count; i++)
            if (RunSwitches.All[i] == s) return i;
        return int.MaxValue;
    }

    public bool Equals(AblationPoint? other) => other is not null && Settings.SequenceEqual(other.Settings);

    public override bool Equals(object? obj) => Equals(obj as AblationPoint);

    public override int GetHashCode() => Settings.Aggregate(0, (h, s) => HashCode.Combine(h, s));

    public override string ToString() => GridPoint ?? "default";
}

/// <summary>Ablation grids: <c>key=value1,value2;key=…</c> over the grid keys of <see cref="RunSwitches"/>, expanded to their cartesian product.</summary>
public static class AblationGrid
{
    /// <summary>The grid's points in cartesian-product order (the last key varies fastest); errors name the bad part.</summary>
    public static IReadOnlyList<AblationPoint> Parse(string grid)
    {
        var keys = string.Join(", ", RunSwitches.ByGridKey.Keys);
        var axes = new List<(RunSwitch Switch, List<string> Values)>();
        foreach (var part in (grid ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) throw new AnomalyMoEException($"Grid part '{part}' must look like key=value1,value2 (keys: {keys}).");
            var key = part[..eq].Trim().ToLowerInvariant();
            if (!RunSwitches.ByGridKey.TryGetValue(key, out var s)) throw new AnomalyMoEException($"Unknown grid key '{key}'; use one of {keys}.");
            var values = part[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            if (values.Count == 0) throw new AnomalyMoEException($"Grid key '{key}' has no values.");
            if (axes.Any(a => a.Switch == s)) throw new AnomalyMoEException($"Grid key '{key}' appears twice.");
            foreach (var v in values)
                if (s.Problem(v) is { } problem) throw new AnomalyMoEException($"Grid value {key}={v}: {problem}");
            axes.Add((s, values));
        }
        if (axes.Count == 0) throw new AnomalyMoEException($"Grid '{grid}' is empty; e.g. \"levels=pcg,p,c,g;topk=1,2\".");
        // The first axis in table order varies slowest, so the points of one grid come in the same order however its keys are written.
        var ordered = axes.OrderBy(a => RunSwitches.All.ToList().IndexOf(a.Switch)).ToList();
        IEnumerable<IEnumerable<(RunSwitch, string)>> product = [[]];
        foreach (var (s, values) in ordered)
            product = product.SelectMany(prefix => values.Select(v => prefix.Append((s, v))));
        return product.Select(AblationPoint.Of).ToList();
    }

    /// <summary>
    /// The departures of <paramref name="config"/>'s preset from the reference: for every method switch whose resolved value
    /// differs from the <c>paper</c> preset's, the point that switches it alone back to the paper's value, so an ablation
    /// shows each departure against the reference's choice. Model-size switches (<c>levels</c>, <c>topk</c>), which follow
    /// the expert counts rather than a recipe choice, and points the preset cannot run (an invalid combination) are left out.
    /// </summary>
    public static IReadOnlyList<AblationPoint> ReferenceChoices(TrainingRunConfig config)
    {
        var run = new TrainingRun(config, new TrainingSettings());
        var preset = config.ResolvePreset();
        var reference = TrainingPresets.Paper;
        var points = new List<AblationPoint>();
        foreach (var s in RunSwitches.MethodSwitches)
        {
            if (s == RunSwitches.Levels || s == RunSwitches.TopK) continue;
            var referenceValue = s.Effective(run, reference);
            if (s.Effective(run, preset) == referenceValue) continue;
            var point = AblationPoint.Of([(s, referenceValue)]);
            try { point.Apply(config).ResolvePreset(); }
            catch (AnomalyMoEException) { continue; }
            points.Add(point);
        }
        return points;
    }
}
