using AnomalyMoE.Data;
using AnomalyMoE.Synthetic;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Synthetic;

/// <summary>The generator's output is a dataset the kit's own MVTec-layout reader accepts, levels included.</summary>
public class SyntheticLayoutReaderTests
{
    [Fact]
    public void Every_family_root_reads_back_with_masks_and_levels()
    {
        using var dir = new TempDirectory();
        var options = SynthOptions.Tiny with { Size = 48 };
        SyntheticBenchmark.Generate(options, dir.Path);

        foreach (var root in SyntheticBenchmark.Roots(options.Families))
        {
            var catalog = MvtecDatasetReader.Read(new DatasetSource(Path.Combine(dir.Path, root)));
            Assert.NotEmpty(catalog.Categories);
            Assert.All(catalog.Categories, c => Assert.True(c.HasPixelMasks, $"{root}/{c.Category} has no masks"));
            var test = catalog.Split(DatasetSplit.Test);
            Assert.All(test.Where(r => r.IsAnomalous), r => Assert.NotNull(r.MaskPath));
            Assert.All(test, r => Assert.True(r.Level is not null && AnomalyLevels.IsKnown(r.Level), $"{r.Path} has level '{r.Level}'"));
            Assert.Contains(test, r => r.Level == AnomalyLevels.None);
            Assert.Contains(test, r => r.Level != AnomalyLevels.None);
        }
    }
}
