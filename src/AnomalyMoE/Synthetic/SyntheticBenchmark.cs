using System.Diagnostics;
using System.Globalization;
using System.Text;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Synthetic;

/// <summary>One image to generate: where it goes and what it shows.</summary>
public sealed record SampleSpec(SyntheticCategory Category, string Split, int Index, AnomalyKind? Anomaly, string Stem)
{
    /// <summary>The folder under <c>train/</c> or <c>test/</c>: <c>good</c> or the anomaly type.</summary>
    public string Folder => Anomaly?.Name ?? "good";

    /// <summary>Image path relative to the output folder, with '/' separators.</summary>
    public string ImagePath(string root) => $"{root}/{Category.Name}/{Split}/{Folder}/{Stem}.png";

    /// <summary>Mask path relative to the output folder (MVTec: <c>ground_truth/&lt;type&gt;/&lt;stem&gt;_mask.png</c>).</summary>
    public string MaskPath(string root) => $"{root}/{Category.Name}/ground_truth/{Folder}/{Stem}_mask.png";
}

/// <summary>One row of <c>metadata.csv</c>.</summary>
public sealed record SynthRecord(string Path, string Family, string Category, string Split, int Label, AnomalyLevel Level, string AnomalyType)
{
    public string ToCsv() => string.Join(',', Path, Family, Category, Split, Label.ToString(CultureInfo.InvariantCulture),
        AnomalyKind.LevelName(Level), AnomalyType);
}

/// <summary>What a generation run produced.</summary>
public sealed record SynthSummary(string OutputDirectory, int Images, TimeSpan Elapsed, IReadOnlyList<SynthRecord> Records)
{
    /// <summary>Rendered samples per second (each 3D sample also writes its depth map).</summary>
    public double ImagesPerSecond => Images / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// Writes the synthetic hierarchical anomaly benchmark in the MVTec AD layout:
/// <c>&lt;out&gt;/&lt;family&gt;/&lt;category&gt;/{train/good, test/good, test/&lt;type&gt;, ground_truth/&lt;type&gt;/&lt;stem&gt;_mask.png}</c>,
/// plus <c>&lt;out&gt;/metadata.csv</c> (<see cref="MetadataHeader"/>) naming every image's family, split, label,
/// level and anomaly type. The 3D family's depth maps form the sibling dataset <c>&lt;out&gt;/3d-depth/</c> with
/// the same categories, file stems and masks, so either view is read like any MVTec-layout root.
/// <para>
/// Same options → identical bytes: each image draws from its own stream derived from
/// (seed, family, category, split, index), so images are rendered in parallel in any order.
/// Families are written to a staging folder first and moved into place when complete, replacing
/// an older copy of the same family; <c>metadata.csv</c> keeps the rows of families not regenerated.
/// </para>
/// </summary>
public static class SyntheticBenchmark
{
    public const string MetadataFile = "metadata.csv";
    public const string MetadataHeader = "path,family,category,split,label,level,anomaly_type";

    /// <summary>Every image of a run, in a fixed order (family, category, train then test, plan order).</summary>
    public static IReadOnlyList<SampleSpec> Plan(SynthOptions options)
    {
        options.Validate();
        var specs = new List<SampleSpec>();
        foreach (var family in options.Families)
        {
            foreach (var category in SyntheticFamilies.Categories(family))
            {
                var digits = Math.Max(3, Math.Max(options.TrainPerCategory, options.TestPerCategory).ToString(CultureInfo.InvariantCulture).Length);
                for (var i = 0; i < options.TrainPerCategory; i++)
                    specs.Add(new SampleSpec(category, "train", i, null, TrainStem(category, i, digits)));
                var plan = TestPlan.For(category, options.TestPerCategory, options.NormalTestFraction);
                var perFolder = new Dictionary<string, int>();
                for (var i = 0; i < plan.Count; i++)
                {
                    var folder = plan[i]?.Name ?? "good";
                    var n = perFolder.GetValueOrDefault(folder);
                    perFolder[folder] = n + 1;
                    specs.Add(new SampleSpec(category, "test", i, plan[i], n.ToString("D" + digits, CultureInfo.InvariantCulture)));
                }
            }
        }
        return specs;
    }

    /// <summary>
    /// A training image's file stem: its index, or for a family of clips <c>&lt;clip&gt;_&lt;frame&gt;</c>, as UCSD Ped2's
    /// frames are named once prepared, so a reader can tell which frames are one clip (<see cref="Data.ImageSequences"/>).
    /// Both sort in index order.
    /// </summary>
    static string TrainStem(SyntheticCategory category, int index, int digits)
    {
        if (category.ClipLength <= 1) return index.ToString("D" + digits, CultureInfo.InvariantCulture);
        int frameDigits = (category.ClipLength - 1).ToString(CultureInfo.InvariantCulture).Length;
        return string.Create(CultureInfo.InvariantCulture, $"{(index / category.ClipLength).ToString("D" + digits, CultureInfo.InvariantCulture)}_{(index % category.ClipLength).ToString("D" + frameDigits, CultureInfo.InvariantCulture)}");
    }

    /// <summary>Generates the benchmark under <paramref name="outputDirectory"/>.</summary>
    public static SynthSummary Generate(SynthOptions options, string outputDirectory, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var specs = Plan(options);
        var output = Path.GetFullPath(outputDirectory);
        Directory.CreateDirectory(output);
        var staging = Path.Combine(output, $".synth-staging-{Guid.NewGuid():N}");
        var clock = Stopwatch.StartNew();
        try
        {
            var done = 0;
            var step = Math.Max(1, specs.Count / 200);
            progress.Report("synth", 0, specs.Count);
            var parallel = new ParallelOptions
            {
                CancellationToken = cancellationToken,
                MaxDegreeOfParallelism = options.MaxDegreeOfParallelism > 0 ? options.MaxDegreeOfParallelism : Environment.ProcessorCount,
            };
            Parallel.For(0, specs.Count, parallel, i =>
            {
                WriteSample(specs[i], options, staging);
                var n = Interlocked.Increment(ref done);
                if (n % step == 0 || n == specs.Count) progress.Report("synth", n, specs.Count);
            });
            var records = Records(specs);
            foreach (var root in Roots(options.Families))
            {
                var target = Path.Combine(output, root);
                if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
                Directory.Move(Path.Combine(staging, root), target);
            }
            WriteMetadata(output, records, Roots(options.Families).ToHashSet());
            clock.Stop();
            return new SynthSummary(output, specs.Count, clock.Elapsed, records);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The dataset roots a set of families writes (the 3D family writes two).</summary>
    public static IEnumerable<string> Roots(IEnumerable<string> families)
    {
        foreach (var family in families)
        {
            yield return family;
            if (SyntheticFamilies.Categories(family).Any(c => c.HasDepth)) yield return SyntheticFamilies.DepthRoot;
        }
    }

    static void WriteSample(SampleSpec spec, SynthOptions options, string staging)
    {
        using var sample = spec.Category.Render(options.Seed, spec.Split, spec.Index, spec.Anomaly, options.Size);
        var family = spec.Category.Family;
        Write(staging, spec.ImagePath(family), sample.EncodeImagePng());
        byte[]? mask = sample.Mask != null ? sample.EncodeMaskPng() : null;
        if (mask != null) Write(staging, spec.MaskPath(family), mask);
        if (sample.Depth != null)
        {
            Write(staging, spec.ImagePath(SyntheticFamilies.DepthRoot), sample.EncodeDepthPng());
            if (mask != null) Write(staging, spec.MaskPath(SyntheticFamilies.DepthRoot), mask);
        }
    }

    static void Write(string staging, string relative, byte[] bytes)
    {
        var path = Path.Combine(staging, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    static List<SynthRecord> Records(IReadOnlyList<SampleSpec> specs)
    {
        var records = new List<SynthRecord>();
        foreach (var spec in specs)
        {
            var roots = spec.Category.HasDepth ? new[] { spec.Category.Family, SyntheticFamilies.DepthRoot } : [spec.Category.Family];
            foreach (var root in roots)
            {
                records.Add(new SynthRecord(spec.ImagePath(root), root, spec.Category.Name, spec.Split, spec.Anomaly == null ? 0 : 1,
                    spec.Anomaly?.Level ?? AnomalyLevel.None, spec.Folder));
            }
        }
        return records;
    }

    static void WriteMetadata(string output, IReadOnlyList<SynthRecord> records, HashSet<string> regenerated)
    {
        var path = Path.Combine(output, MetadataFile);
        var text = new StringBuilder().Append(MetadataHeader).Append('\n');
        if (File.Exists(path))
        {
            // Keep rows of families this run did not regenerate.
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var fields = line.Split(',');
                if (fields.Length == 7 && !regenerated.Contains(fields[1])) text.Append(line).Append('\n');
            }
        }
        foreach (var record in records) text.Append(record.ToCsv()).Append('\n');
        AtomicFile.WriteText(path, text.ToString());
    }
}
