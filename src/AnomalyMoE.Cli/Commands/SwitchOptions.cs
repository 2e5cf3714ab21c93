using System.CommandLine;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;

namespace AnomalyMoE.Cli.Commands;

/// <summary>Command-line options generated from <see cref="RunSwitches"/>: one per entry with a flag.</summary>
sealed class SwitchOptions
{
    readonly List<(RunSwitch Switch, Option<string?> Option)> options;

    SwitchOptions(IEnumerable<RunSwitch> switches) =>
        options = switches.Where(s => s.Flag is not null).Select(s => (s, new Option<string?>(s.Flag!) { Description = s.Description })).ToList();

    /// <summary>Options for every flagged entry except <paramref name="except"/>, added to <paramref name="command"/>.</summary>
    public static SwitchOptions AddTo(Command command, params RunSwitch[] except)
    {
        var result = new SwitchOptions(RunSwitches.All.Where(s => !except.Contains(s)));
        foreach (var (_, option) in result.options) command.Options.Add(option);
        return result;
    }

    /// <summary><paramref name="defaults"/> with every given option parsed and set; an error names the option and the value.</summary>
    public TrainingRun Read(ParseResult parse, TrainingRun defaults) =>
        options.Aggregate(defaults, (run, o) => parse.GetValue(o.Option) is { } text ? o.Switch.Set(run, text) : run);
}
