using AnomalyMoE.Data;
using AnomalyMoE.Runtime;
using AnomalyMoE.Synthetic;
using AnomalyMoE.Tests.Support;
using SkiaSharp;

namespace AnomalyMoE.Tests.Synthetic;

/// <summary>One tiny benchmark of every family, generated once for the layout, metadata and mask tests.</summary>
public sealed class TinyBenchmarkFixture : IDisposable
{
    readonly TempDirectory directory = new();
    public SynthOptions Options { get; } = SynthOptions.Tiny;
    public SynthSummary Summary { get; }
    public List<ProgressUpdate> Progress { get; } = [];
    public string Root => directory.Path;

    public TinyBenchmarkFixture()
    {
        var progress = new SynchronousProgress(u => { lock (Progress) Progress.Add(u); });
        Summary = SyntheticBenchmark.Generate(Options, directory.Path, progress);
    }

    public void Dispose() => directory.Dispose();
}

/// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
sealed class SynchronousProgress(Action<ProgressUpdate> report) : IProgress<ProgressUpdate>
{
    public void Report(ProgressUpdate value) => report(value);
}

public class SyntheticBenchmarkTests(TinyBenchmarkFixture fixture) : IClassFixture<TinyBenchmarkFixture>
{
    static readonly string[] Levels = ["none", "structural", "component", "logical"];

    static string[] ReadMetadataRows(string root) => File.ReadAllLines(Path.Combine(root, SyntheticBenchmark.MetadataFile));

    [Fact]
    public void EveryCategoryHasTheMvtecLayout()
    {
        foreach (var family in SyntheticFamilies.Names)
        {
            foreach (var category in SyntheticFamilies.Categories(family))
            {
                foreach (var root in category.HasDepth ? new[] { family, SyntheticFamilies.DepthRoot } : [family])
                {
                    var dir = Path.Combine(fixture.Root, root, category.Name);
                    Assert.Equal(fixture.Options.TrainPerCategory, Directory.GetFiles(Path.Combine(dir, "train", "good"), "*.png").Length);
                    Assert.True(Directory.GetFiles(Path.Combine(dir, "test", "good"), "*.png").Length > 0, $"{dir}/test/good is empty");
                    foreach (var kind in category.AnomalyKinds)
                    {
                        var images = Directory.GetFiles(Path.Combine(dir, "test", kind.Name), "*.png");
                        Assert.True(images.Length > 0, $"{dir}/test/{kind.Name} is empty");
                        foreach (var image in images)
                        {
                            var mask = Path.Combine(dir, "ground_truth", kind.Name, Path.GetFileNameWithoutExtension(image) + "_mask.png");
                            Assert.True(File.Exists(mask), $"missing mask {mask}");
                        }
                    }
                    Assert.Equal(category.AnomalyKinds.Select(k => k.Name).Append("good").Order(),
                        Directory.GetDirectories(Path.Combine(dir, "test")).Select(Path.GetFileName).Order());
                    Assert.False(Directory.Exists(Path.Combine(dir, "ground_truth", "good")));
                }
            }
        }
        Assert.Empty(Directory.GetDirectories(fixture.Root, ".synth-staging-*"));
    }

    [Fact]
    public void MetadataListsEveryImageOnDiskWithConsistentColumns()
    {
        var lines = ReadMetadataRows(fixture.Root);
        Assert.Equal(SyntheticBenchmark.MetadataHeader, lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.All(rows, r => Assert.Equal(7, r.Length));
        var onDisk = Directory.GetFiles(fixture.Root, "*.png", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}ground_truth{Path.DirectorySeparatorChar}"))
            .Select(p => Path.GetRelativePath(fixture.Root, p).Replace(Path.DirectorySeparatorChar, '/')).Order(StringComparer.Ordinal);
        Assert.Equal(onDisk, rows.Select(r => r[0]).Order(StringComparer.Ordinal));
        foreach (var r in rows)
        {
            var (path, family, category, split, label, level, type) = (r[0], r[1], r[2], r[3], r[4], r[5], r[6]);
            Assert.StartsWith($"{family}/{category}/{split}/{type}/", path);
            Assert.Contains(level, Levels);
            Assert.Equal(type == "good" ? "0" : "1", label);
            Assert.Equal(type == "good", level == "none");
            if (split == "train") Assert.Equal("good", type);
            var familyName = family == SyntheticFamilies.DepthRoot ? SyntheticFamilies.ThreeD : family;
            var kind = SyntheticFamilies.Categories(familyName).Single(c => c.Name == category).AnomalyKinds.SingleOrDefault(k => k.Name == type);
            Assert.Equal(kind == null ? "none" : AnomalyKind.LevelName(kind.Level), level);
        }
        Assert.Equal(fixture.Summary.Records.Count, rows.Length);
    }

    [Fact]
    public void EveryLevelOccurs()
    {
        var levels = ReadMetadataRows(fixture.Root).Skip(1).Select(l => l.Split(',')[5]).ToHashSet();
        Assert.Equal(Levels.Order(), levels.Order());
    }

    [Fact]
    public void MasksAreBinaryImageSizedAndWithinTheAreaBounds()
    {
        var masks = Directory.GetFiles(fixture.Root, "*_mask.png", SearchOption.AllDirectories);
        Assert.NotEmpty(masks);
        foreach (var file in masks)
        {
            using var mask = SKBitmap.Decode(file);
            Assert.Equal(fixture.Options.Size, mask.Width);
            Assert.Equal(fixture.Options.Size, mask.Height);
            var set = 0;
            for (var y = 0; y < mask.Height; y++)
            {
                for (var x = 0; x < mask.Width; x++)
                {
                    var v = mask.GetPixel(x, y).Red;
                    Assert.True(v is 0 or 255, $"{file} has a non-binary value {v}");
                    if (v == 255) set++;
                }
            }
            var fraction = (double)set / (mask.Width * mask.Height);
            Assert.InRange(fraction, SyntheticCategory.MinMaskFraction, SyntheticCategory.MaxMaskFraction);
        }
    }

    [Fact]
    public void TestSplitsAreAtLeastThirtyPercentNormalAndHoldEveryAnomalyType()
    {
        var rows = ReadMetadataRows(fixture.Root).Skip(1).Select(l => l.Split(',')).Where(r => r[3] == "test");
        foreach (var group in rows.GroupBy(r => (r[1], r[2])))
        {
            var normal = group.Count(r => r[4] == "0");
            Assert.True(normal >= 0.3 * group.Count(), $"{group.Key}: {normal} of {group.Count()} test images are normal");
            var family = group.Key.Item1 == SyntheticFamilies.DepthRoot ? SyntheticFamilies.ThreeD : group.Key.Item1;
            var kinds = SyntheticFamilies.Categories(family).Single(c => c.Name == group.Key.Item2).AnomalyKinds.Select(k => k.Name);
            Assert.Equal(kinds.Order(), group.Where(r => r[4] == "1").Select(r => r[6]).Distinct().Order());
        }
    }

    [Fact]
    public void DepthMapsAreSixteenBitAndMatchTheRgbStems()
    {
        var rgb = Directory.GetFiles(Path.Combine(fixture.Root, "3d"), "*.png", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Path.Combine(fixture.Root, "3d"), p)).Order();
        var depth = Directory.GetFiles(Path.Combine(fixture.Root, SyntheticFamilies.DepthRoot), "*.png", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Path.Combine(fixture.Root, SyntheticFamilies.DepthRoot), p)).Order();
        Assert.Equal(rgb, depth);
        var sample = File.ReadAllBytes(Path.Combine(fixture.Root, SyntheticFamilies.DepthRoot, "cookie", "train", "good", "000.png"));
        Assert.Equal(16, sample[24]); // IHDR bit depth
        Assert.Equal(0, sample[25]);  // grayscale
    }

    [Fact]
    public void ProgressCountsEveryImageAndEnds()
    {
        lock (fixture.Progress)
        {
            Assert.Equal(0, fixture.Progress[0].Done);
            Assert.Contains(fixture.Progress, u => u.Done == u.Total && u.Total == fixture.Summary.Images);
        }
    }
}

public class SyntheticBenchmarkDeterminismTests
{
    static Dictionary<string, byte[]> Files(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(p => Path.GetRelativePath(root, p), File.ReadAllBytes);

    static readonly SynthOptions Small = new([SyntheticFamilies.Logical, SyntheticFamilies.ThreeD, SyntheticFamilies.Video], Seed: 5, Size: 48, TrainPerCategory: 2, TestPerCategory: 9);

    [Fact]
    public void SameSeedGivesIdenticalBytesWhateverTheParallelism()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        SyntheticBenchmark.Generate(Small with { MaxDegreeOfParallelism = 1 }, a.Path);
        SyntheticBenchmark.Generate(Small with { MaxDegreeOfParallelism = 3 }, b.Path);
        var (filesA, filesB) = (Files(a.Path), Files(b.Path));
        Assert.Equal(filesA.Keys.Order(), filesB.Keys.Order());
        foreach (var (name, bytes) in filesA) Assert.True(bytes.AsSpan().SequenceEqual(filesB[name]), $"{name} differs");
    }

    [Fact]
    public void ADifferentSeedChangesTheImages()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        SyntheticBenchmark.Generate(Small, a.Path);
        SyntheticBenchmark.Generate(Small with { Seed = 6 }, b.Path);
        var (filesA, filesB) = (Files(a.Path), Files(b.Path));
        var images = filesA.Keys.Where(k => k.EndsWith(".png", StringComparison.Ordinal) && !k.Contains("_mask")).ToArray();
        Assert.All(images, k => Assert.False(filesA[k].AsSpan().SequenceEqual(filesB[k]), $"{k} did not change with the seed"));
    }

    [Fact]
    public void RegeneratingOneFamilyReplacesItAndKeepsTheOthersMetadata()
    {
        using var dir = new TempDirectory();
        SyntheticBenchmark.Generate(Small, dir.Path);
        var before = File.ReadAllLines(Path.Combine(dir.Path, SyntheticBenchmark.MetadataFile));
        File.WriteAllText(dir.Combine("logical", "stale.txt"), "left over");
        SyntheticBenchmark.Generate(Small with { Families = [SyntheticFamilies.Logical] }, dir.Path);
        var after = File.ReadAllLines(Path.Combine(dir.Path, SyntheticBenchmark.MetadataFile));
        Assert.Equal(before.Order(StringComparer.Ordinal), after.Order(StringComparer.Ordinal));
        Assert.False(File.Exists(dir.Combine("logical", "stale.txt")));
        Assert.True(Directory.Exists(dir.Combine("video", "walkway")));
    }

    [Fact]
    public void ConsecutiveVideoFramesOfAClipShowTheSamePeopleMovedOn()
    {
        var walkway = SyntheticFamilies.Categories(SyntheticFamilies.Video)[0];
        using var first = walkway.Render(0, "train", 0, null, 64);
        using var second = walkway.Render(0, "train", 1, null, 64);
        using var otherClip = walkway.Render(0, "train", walkway.ClipLength, null, 64);
        // Frames of one clip differ only where people moved; a new clip rearranges the whole scene.
        Assert.True(MeanAbsoluteDifference(first, second) < MeanAbsoluteDifference(first, otherClip));
    }

    [Fact]
    public void Video_training_frames_are_named_clip_underscore_frame_so_a_reader_can_tell_the_clips_apart()
    {
        var walkway = SyntheticFamilies.Categories(SyntheticFamilies.Video)[0];
        var options = new SynthOptions([SyntheticFamilies.Video], Seed: 0, Size: 64, TrainPerCategory: 2 * walkway.ClipLength, TestPerCategory: 4);
        var train = SyntheticBenchmark.Plan(options).Where(s => s.Category.Name == walkway.Name && s.Split == "train").ToList();
        Assert.Equal("000_0", train[0].Stem);
        Assert.Equal("001_0", train[walkway.ClipLength].Stem);
        Assert.Equal(train.Select(s => s.Stem).Order(StringComparer.Ordinal), train.Select(s => s.Stem));
        var sequences = ImageSequences.Of(train.Select(s => s.ImagePath("/data")).ToList());
        Assert.Equal(Enumerable.Range(0, train.Count).Select(i => i / walkway.ClipLength), sequences);
    }

    static double MeanAbsoluteDifference(SyntheticSample a, SyntheticSample b)
    {
        var sum = 0.0;
        for (var y = 0; y < a.Size; y++)
            for (var x = 0; x < a.Size; x++)
            {
                var (p, q) = (a.Image.GetPixel(x, y), b.Image.GetPixel(x, y));
                sum += Math.Abs(p.Red - q.Red) + Math.Abs(p.Green - q.Green) + Math.Abs(p.Blue - q.Blue);
            }
        return sum / (a.Size * a.Size);
    }
}

public class SyntheticCategoryTests
{
    public static TheoryData<string, string> Kinds()
    {
        var data = new TheoryData<string, string>();
        foreach (var family in SyntheticFamilies.Names)
            foreach (var category in SyntheticFamilies.Categories(family))
                foreach (var kind in category.AnomalyKinds) data.Add($"{family}/{category.Name}", kind.Name);
        return data;
    }

    static SyntheticCategory Find(string name) =>
        SyntheticFamilies.Categories(name.Split('/')[0]).Single(c => c.Name == name.Split('/')[1]);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryAnomalyTypeGivesAMaskWithinBoundsAndChangesTheImage(string categoryName, string kindName)
    {
        var category = Find(categoryName);
        var kind = category.AnomalyKinds.Single(k => k.Name == kindName);
        foreach (var size in new[] { 48, 96 })
        {
            for (var index = 0; index < 4; index++)
            {
                using var sample = category.Render(1, "test", index, kind, size);
                Assert.NotNull(sample.Mask);
                Assert.InRange(Masks.Fraction(sample.Mask!), SyntheticCategory.MinMaskFraction, SyntheticCategory.MaxMaskFraction);
                Assert.Equal(category.HasDepth, sample.Depth != null);
            }
        }
    }

    [Fact]
    public void NormalImagesVaryAndCarryNoMask()
    {
        foreach (var category in SyntheticFamilies.Names.SelectMany(SyntheticFamilies.Categories))
        {
            using var a = category.Render(0, "train", 0, null, 48);
            using var b = category.Render(0, "train", 1, null, 48);
            Assert.Null(a.Mask);
            Assert.False(a.EncodeImagePng().AsSpan().SequenceEqual(b.EncodeImagePng()), $"{category}: two normal images are identical");
        }
    }

    [Fact]
    public void AnAnomalyOfAnotherCategoryIsRejected()
    {
        var weave = SyntheticFamilies.Categories(SyntheticFamilies.Industrial)[0];
        var error = Assert.Throws<ArgumentException>(() => weave.Render(0, "test", 0, AnomalyKind.Logical("missing_item"), 64));
        Assert.Contains("missing_item", error.Message);
    }
}

public class SynthOptionsTests
{
    [Fact]
    public void PresetsAreValid()
    {
        SynthOptions.Default.Validate();
        SynthOptions.Tiny.Validate();
    }

    [Theory]
    [InlineData("textures", "textures")]
    [InlineData("size", "Size 16")]
    [InlineData("train", "TrainPerCategory 0")]
    [InlineData("test", "TestPerCategory 4")]
    [InlineData("normal", "NormalTestFraction 0.2")]
    public void BadValuesAreNamed(string what, string expected)
    {
        var options = what switch
        {
            "textures" => SynthOptions.Tiny with { Families = ["textures"] },
            "size" => SynthOptions.Tiny with { Size = 16 },
            "train" => SynthOptions.Tiny with { TrainPerCategory = 0 },
            "test" => SynthOptions.Tiny with { TestPerCategory = 4 },
            _ => SynthOptions.Tiny with { NormalTestFraction = 0.2 },
        };
        var error = Assert.Throws<AnomalyMoEException>(options.Validate);
        Assert.Contains(expected, error.Message.Replace(",", ".", StringComparison.Ordinal));
    }

    [Fact]
    public void FamilyListsParse()
    {
        Assert.Equal(SyntheticFamilies.Names, SyntheticFamilies.Parse("all"));
        Assert.Equal(["3d", "video"], SyntheticFamilies.Parse("3d, Video"));
        Assert.Throws<AnomalyMoEException>(() => SyntheticFamilies.Parse("industrial,bogus"));
    }

    [Fact]
    public void TestPlanPutsNormalsFirstAndEachTypeInOneBlock()
    {
        var connector = SyntheticFamilies.Categories(SyntheticFamilies.Logical)[1];
        var plan = TestPlan.For(connector, 23, 0.4);
        Assert.Equal(23, plan.Count);
        Assert.Equal(10, plan.TakeWhile(k => k == null).Count());
        var blocks = plan.Skip(10).Select(k => k!.Name).Aggregate(new List<string>(), (list, name) =>
        {
            if (list.Count == 0 || list[^1] != name) list.Add(name);
            return list;
        });
        Assert.Equal(connector.AnomalyKinds.Select(k => k.Name), blocks);
        Assert.Equal(9, SynthOptions.MinimumTestPerCategory(["logical"], 0.4));
    }
}
