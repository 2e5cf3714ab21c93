using System.Globalization;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;

namespace AnomalyMoE.Interactive.Studies;

/// <summary>
/// The <c>amoe</c> command lines that reproduce a study's runs with the same files (<see cref="NotebookStudy.Commands"/>);
/// <c>amoe</c> is <c>dotnet run --project src/AnomalyMoE.Cli -c Release --</c>.
/// </summary>
/// <param name="DataRoot">The dataset root holding the categories.</param>
/// <param name="Categories">The category folder names, comma-separated as <c>--categories</c> takes them.</param>
/// <param name="Device">The study's device; the command line's default (auto) is left unsaid.</param>
public sealed record StudyCommands(string DataRoot, string Categories, DeviceChoice Device)
{
    /// <summary>Trains (resumable) and evaluates the run of <paramref name="config"/> in <paramref name="runRoot"/>.</summary>
    public IReadOnlyList<string> TrainAndTest(TrainingRunConfig config, string runRoot, bool overlays = true) =>
    [
        $"amoe train --data {Quote(DataRoot)} --categories {Categories} --preset {config.Preset}{Iters(config)} --seed {config.Seed}{DeviceFlag} --resume --out {Quote(runRoot)}",
        $"amoe test --run {Quote(runRoot)}{(overlays ? "" : " --overlays 0")}{DeviceFlag}",
    ];

    /// <summary>The <c>amoe ablate</c> grid point <paramref name="grid"/> of <paramref name="config"/>, into <paramref name="ablationDirectory"/>.</summary>
    public IReadOnlyList<string> Ablate(TrainingRunConfig config, string grid, string ablationDirectory) =>
    [
        $"amoe ablate --data {Quote(DataRoot)} --categories {Categories} --preset {config.Preset}{Iters(config)} --seed {config.Seed} --grid \"{grid}\" --no-baseline{DeviceFlag} --out {Quote(ablationDirectory)}",
    ];

    /// <summary>Builds and evaluates the PatchCore baseline of <paramref name="config"/> in <paramref name="runRoot"/>.</summary>
    public IReadOnlyList<string> PatchCore(TrainingRunConfig config, string runRoot) =>
    [
        $"amoe train --method patchcore --data {Quote(DataRoot)} --categories {Categories} --preset {config.Preset} --seed {config.Seed}{DeviceFlag} --out {Quote(runRoot)}",
        $"amoe test --run {Quote(runRoot)}{DeviceFlag}",
    ];

    /// <summary>Generates the synthetic family as the study does.</summary>
    public static string Synth(string family, int seed, int size, int train, int test, string dataDirectory) =>
        $"amoe synth --family {family} --seed {seed} --size {size} --train {train} --test {test} --out {Quote(dataDirectory)}";

    string DeviceFlag => Device == DeviceChoice.Auto ? "" : $" --device {Device.ToString().ToLowerInvariant()}";

    static string Iters(TrainingRunConfig config) => config.Iterations is { } n ? $" --iters {n.ToString(CultureInfo.InvariantCulture)}" : "";

    static string Quote(string path) => path.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '$') ? $"\"{path}\"" : path;
}
