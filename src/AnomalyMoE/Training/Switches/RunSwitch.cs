using System.Globalization;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Training.Switches;

/// <summary>What one command asks for: the run's configuration (config.json) and how it executes (not saved).</summary>
public sealed record TrainingRun(TrainingRunConfig Config, TrainingSettings Settings)
{
    /// <summary>The run a checkpoint's saved configuration describes, executed with <paramref name="settings"/>.</summary>
    public static TrainingRun Saved(TrainingRunConfig config, TrainingSettings settings) =>
        new(config, settings with { Precision = config.Precision ?? Encoders.EncoderPrecision.Float32 });
}

/// <summary>
/// One entry of <see cref="RunSwitches"/>: a choice a run can make, with its command-line flag, its <c>amoe ablate --grid</c>
/// key, its config.json key, how its text is read and written, how it changes the preset and whether it belongs to the
/// run's identity (a resumed run must not change it).
/// </summary>
public abstract class RunSwitch
{
    private protected RunSwitch(string name, string? flag, string? gridKey, string? jsonKey, bool identity, string description)
    {
        Name = name;
        Flag = flag;
        GridKey = gridKey;
        JsonKey = jsonKey;
        Identity = identity;
        Description = description;
    }

    /// <summary>The name errors and reports use.</summary>
    public string Name { get; }

    /// <summary>The <c>amoe train</c> / <c>amoe ablate</c> option (<c>--levels</c>); null when no flag sets it.</summary>
    public string? Flag { get; }

    /// <summary>The key in an ablation grid (<c>levels=p,pg</c>); null when a grid cannot vary it.</summary>
    public string? GridKey { get; }

    /// <summary>The key of config.json that stores it; null when it is not saved (how a run executes, not what it is).</summary>
    public string? JsonKey { get; }

    /// <summary>Whether it defines the run: resuming with another value is refused.</summary>
    public bool Identity { get; }

    /// <summary>One line for <c>--help</c>.</summary>
    public string Description { get; }

    /// <summary>The flag, else the grid key, else the name: how the user spells it.</summary>
    public string Spelling => Flag ?? GridKey ?? Name;

    /// <summary>Parses <paramref name="text"/> (an error names the switch and the value) and sets it in <paramref name="run"/>.</summary>
    public abstract TrainingRun Set(TrainingRun run, string text);

    /// <summary>What is wrong with <paramref name="text"/> as a value of this switch; null when it reads.</summary>
    public abstract string? Problem(string text);

    /// <summary>The value <paramref name="run"/> sets explicitly, written as <see cref="Set"/> reads it; null = the preset's.</summary>
    public abstract string? Explicit(TrainingRun run);

    /// <summary>The value the run uses once resolved against its preset, written as <see cref="Set"/> reads it.</summary>
    public abstract string Effective(TrainingRun run, TrainingPreset resolved);

    /// <summary>The preset with this switch's value of <paramref name="config"/> applied (unchanged when it does not touch the preset).</summary>
    public abstract TrainingPreset Apply(TrainingPreset preset, TrainingRunConfig config);

    public override string ToString() => Spelling;
}

/// <summary>A switch whose value is a <typeparamref name="T"/> (a nullable type when "the preset's" is a value of its own).</summary>
public sealed class RunSwitch<T> : RunSwitch
{
    readonly Func<string, T> parse;
    readonly Func<T, string> format;
    readonly Func<TrainingRun, T> get;
    readonly Func<TrainingRun, T, TrainingRun> set;
    readonly Func<TrainingRun, TrainingPreset, T> effective;
    readonly Func<TrainingPreset, T, TrainingPreset>? apply;

    /// <param name="parse">Text → value; throws <see cref="SwitchValueException"/> (or <see cref="AnomalyMoEException"/>) for a bad value.</param>
    /// <param name="format">Value → the text <paramref name="parse"/> reads.</param>
    /// <param name="get">The value a run holds (null or the default when unset).</param>
    /// <param name="set">The run with the value set.</param>
    /// <param name="effective">The value in force once the preset is resolved.</param>
    /// <param name="apply">How the value changes the preset (null: it does not; it acts elsewhere).</param>
    public RunSwitch(string name, string? flag, string? gridKey, string? jsonKey, bool identity, string description,
        Func<string, T> parse, Func<T, string> format, Func<TrainingRun, T> get, Func<TrainingRun, T, TrainingRun> set,
        Func<TrainingRun, TrainingPreset, T> effective, Func<TrainingPreset, T, TrainingPreset>? apply = null)
        : base(name, flag, gridKey, jsonKey, identity, description)
    {
        this.parse = parse;
        this.format = format;
        this.get = get;
        this.set = set;
        this.effective = effective;
        this.apply = apply;
    }

    /// <summary>Reads a value; the error names the switch, the value and what is accepted.</summary>
    public T Parse(string text)
    {
        try
        {
            return parse((text ?? "").Trim());
        }
        catch (SwitchValueException e)
        {
            throw new AnomalyMoEException($"{Spelling} '{text}': {e.Message}");
        }
    }

    public override string? Problem(string text)
    {
        try
        {
            parse((text ?? "").Trim());
            return null;
        }
        catch (AnomalyMoEException e)
        {
            return e.Message;
        }
    }

    public string Format(T value) => value is null ? "default" : format(value);

    public T Get(TrainingRun run) => get(run);

    public TrainingRun With(TrainingRun run, T value) => set(run, value);

    public TrainingRunConfig With(TrainingRunConfig config, T value) => set(new TrainingRun(config, new TrainingSettings()), value).Config;

    public override TrainingRun Set(TrainingRun run, string text) => set(run, Parse(text));

    public override string? Explicit(TrainingRun run) => get(run) is { } value ? format(value) : null;

    public override string Effective(TrainingRun run, TrainingPreset resolved) => Format(effective(run, resolved));

    public override TrainingPreset Apply(TrainingPreset preset, TrainingRunConfig config) =>
        apply is null ? preset : apply(preset, get(new TrainingRun(config, new TrainingSettings())));
}

/// <summary>A bad switch value; <see cref="RunSwitch{T}.Parse"/> prefixes the switch and the value.</summary>
public sealed class SwitchValueException(string message) : AnomalyMoEException(message);

/// <summary>Parsers and formatters the table's entries share.</summary>
public static class SwitchValues
{
    /// <summary>An integer of at least <paramref name="minimum"/>.</summary>
    public static Func<string, int> Integer(int minimum) => text =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= minimum
            ? n : throw new SwitchValueException($"must be an integer of at least {minimum}.");

    /// <summary>A positive finite number.</summary>
    public static double Positive(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0 && double.IsFinite(x)
            ? x : throw new SwitchValueException("must be a positive number.");

    /// <summary>A number from 0 to <paramref name="maximum"/>.</summary>
    public static double Fraction(string text, double maximum) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x >= 0 && x <= maximum
            ? x : throw new SwitchValueException($"must be a number from 0 to {Number(maximum)}.");

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>on</c>/<c>off</c> (also true/false, 1/0).</summary>
    public static bool OnOff(string text) => text.ToLowerInvariant() switch
    {
        "on" or "true" or "1" => true,
        "off" or "false" or "0" => false,
        _ => throw new SwitchValueException("must be on or off."),
    };

    public static string OnOff(bool value) => value ? "on" : "off";

    /// <summary>
    /// A named choice: the first name of each value is how it is written; a choice with no meaning is an accepted alias.
    /// The error lists every choice with its meaning.
    /// </summary>
    public static (Func<string, TEnum> Parse, Func<TEnum, string> Format) Choice<TEnum>(params (string Name, TEnum Value, string? Meaning)[] choices)
        where TEnum : struct, Enum
    {
        var help = string.Join("; ", choices.Where(c => c.Meaning is not null).Select(c => $"{c.Name} ({c.Meaning})"));
        return (text => choices.FirstOrDefault(c => c.Name == text.ToLowerInvariant()) is { Name: not null } hit
                ? hit.Value : throw new SwitchValueException($"choose {help}."),
            value => choices.First(c => EqualityComparer<TEnum>.Default.Equals(c.Value, value)).Name);
    }
}
