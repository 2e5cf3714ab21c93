using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AnomalyMoE.Data;
using AnomalyMoE.Runtime;
using AnomalyMoE.Synthetic;
using AnomalyMoE.Training;

namespace AnomalyMoE.Interactive.Studies;

/// <summary>
/// Where a study's data and runs live (<see cref="NotebookStudy.Create"/>): the categories of a real dataset root, or of a
/// synthetic family generated once per settings as <c>amoe synth</c> does, and run folders named by their configuration.
/// </summary>
public static class StudyData
{
    /// <summary>The dataset root, its categories the study trains on, and the <c>amoe synth</c> command for synthetic data (null for real data).</summary>
    public sealed record Source(string Root, IReadOnlyList<string> Categories, string? SynthCommand);

    /// <summary>Finds the real categories of <paramref name="o"/>, or generates its synthetic family under <paramref name="work"/>.</summary>
    public static Source Locate(StudyOptions o, string work, IProgress<ProgressUpdate>? progress)
    {
        if (o.DataRoot is { } real)
        {
            var root = Path.GetFullPath(real);
            var found = MvtecDatasetReader.DiscoverCategories(root);
            if (found.Count == 0) throw new AnomalyMoEException($"No categories (<category>/train/good/…) under '{root}'.");
            if (o.Category is { } named && !found.Contains(named)) throw new AnomalyMoEException($"Category '{named}' is not under '{root}'; found: {string.Join(", ", found)}.");
            return new Source(root, o.Category is { } one ? [one] : o.AllCategories ? found : [found[0]], null);
        }
        var dataDir = Path.Combine(work, "data", $"{o.Family}-s{o.SynthSeed}-{o.SynthSize}px-{o.SynthTrain}-{o.SynthTest}");
        GenerateOnce(new SynthOptions([o.Family], o.SynthSeed, o.SynthSize, o.SynthTrain, o.SynthTest), dataDir, progress);
        var family = SyntheticFamilies.Categories(o.Family).Select(c => c.Name).ToList();
        return new Source(Path.Combine(dataDir, o.Family), o.Category is { } c ? [c] : o.AllCategories ? family : [family[0]],
            StudyCommands.Synth(o.Family, o.SynthSeed, o.SynthSize, o.SynthTrain, o.SynthTest, dataDir));
    }

    /// <summary>The categories of <paramref name="config"/>, each checked to have training images and both kinds of test image.</summary>
    public static IReadOnlyList<CategoryInfo> Read(TrainingRunConfig config)
    {
        var catalog = MvtecDatasetReader.Read(config.Sources());
        foreach (var info in catalog.Categories)
        {
            if (info.Train.Count() < 2) throw new AnomalyMoEException($"Category '{info.Key}' has {info.Train.Count()} training images; at least 2 are needed.");
            if (info.Test.Select(r => r.Label).Distinct().Count() < 2)
                throw new AnomalyMoEException($"The test images of '{info.Key}' do not hold both normal and anomalous images.");
        }
        return catalog.Categories.ToList();
    }

    /// <summary>A run folder under <paramref name="work"/> named by categories, preset, iterations and the configuration's hash.</summary>
    public static RunDirectory RunFolder(string work, IReadOnlyList<CategoryInfo> infos, TrainingRunConfig config)
    {
        var iterations = config.Iterations is { } n ? $"-{n.ToString(CultureInfo.InvariantCulture)}it" : "";
        // A few categories are named; a whole benchmark (15 MVTec AD categories) is counted, to keep the path short.
        var name = infos.Count == 1 ? infos[0].Key
            : infos.Count <= 3 ? $"{infos[0].Dataset}/{string.Join("+", infos.Select(i => i.Category))}"
            : $"{infos[0].Dataset}/{infos.Count}-categories";
        return new RunDirectory(Path.Combine(work, "runs", $"{Safe(name)}-{config.Preset}{iterations}-{Hash(config)}"));
    }

    /// <summary>Copies the component masks fitted for one run into another on the same data, so they are not fitted again.</summary>
    public static void CopyComponentCache(RunDirectory from, RunDirectory to)
    {
        if (!Directory.Exists(from.ComponentCacheDirectory)) return;
        Directory.CreateDirectory(to.ComponentCacheDirectory);
        foreach (var file in Directory.GetFiles(from.ComponentCacheDirectory, "*.pth"))
        {
            var target = Path.Combine(to.ComponentCacheDirectory, Path.GetFileName(file));
            if (!File.Exists(target)) File.Copy(file, target);
        }
    }

    /// <summary>Generates the synthetic family once per settings (a marker file records a finished generation).</summary>
    static void GenerateOnce(SynthOptions options, string dataDir, IProgress<ProgressUpdate>? progress)
    {
        var done = Path.Combine(dataDir, ".generated");
        if (File.Exists(done)) return;
        SyntheticBenchmark.Generate(options, dataDir, progress);
        AtomicFile.WriteText(done, "");
    }

    /// <summary>Eight hex digits of the configuration: runs with other data or settings get other folders.</summary>
    static string Hash(TrainingRunConfig config) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(config.ToJson())))[..8];

    static string Safe(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '-').ToArray());
}
