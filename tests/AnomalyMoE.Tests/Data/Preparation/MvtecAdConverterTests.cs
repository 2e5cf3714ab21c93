using AnomalyMoE.Data.Preparation;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;
using SkiaSharp;

namespace AnomalyMoE.Tests.Data.Preparation;

public class MvtecAdConverterTests
{
    static string MakeArchive(TempDirectory dir)
    {
        var src = dir.Combine("src");
        MiniFiles.ColorImage(Path.Combine(src, "bottle", "train", "good", "000.png"), 8, 8, SKColors.Gray);
        MiniFiles.ColorImage(Path.Combine(src, "bottle", "train", "good", "001.png"), 8, 8, SKColors.Gray);
        MiniFiles.ColorImage(Path.Combine(src, "bottle", "test", "good", "000.png"), 8, 8, SKColors.Gray);
        MiniFiles.ColorImage(Path.Combine(src, "bottle", "test", "broken_large", "000.png"), 8, 8, SKColors.Red);
        MiniFiles.GrayPng(Path.Combine(src, "bottle", "ground_truth", "broken_large", "000_mask.png"), 8, 8, Enumerable.Repeat((byte)255, 64).ToArray());
        MiniFiles.ColorImage(Path.Combine(src, "grid", "train", "good", "000.png"), 8, 8, SKColors.Gray);
        MiniFiles.ColorImage(Path.Combine(src, "grid", "test", "good", "000.png"), 8, 8, SKColors.Gray);
        File.WriteAllText(Path.Combine(src, "license.txt"), "CC BY-NC-SA 4.0");
        return MiniFiles.TarGz(src, dir.Combine("mini_mvtec.tar.gz"));
    }

    [Fact]
    public void The_categories_keep_the_mvtec_layout_and_are_counted()
    {
        using var dir = new TempDirectory();
        var archive = MakeArchive(dir);

        var result = PreparationHarness.Prepare("mvtec-ad", dir.Combine("data"), archive);

        var root = dir.Combine("data", "mvtec_ad");
        Assert.Equal(
            [".amoe-prepared.json", "bottle/ground_truth/broken_large/000_mask.png", "bottle/test/broken_large/000.png", "bottle/test/good/000.png",
             "bottle/train/good/000.png", "bottle/train/good/001.png", "grid/test/good/000.png", "grid/train/good/000.png"],
            MiniFiles.Tree(root));
        Assert.Equal(3, result.Summary.Images(null, "train", "good"));
        Assert.Equal(1, result.Summary.Images("bottle", "test", "broken_large"));
        Assert.Equal(1, result.Summary.Masks("bottle", "test", "broken_large"));
        Assert.False(Directory.Exists(dir.Combine("data", ".extract")));
        Assert.False(Directory.Exists(dir.Combine("data", ".staging")));
    }

    [Fact]
    public void A_second_run_finds_the_marker_and_changes_nothing()
    {
        using var dir = new TempDirectory();
        var archive = MakeArchive(dir);
        PreparationHarness.Prepare("mvtec-ad", dir.Combine("data"), archive);
        var image = dir.Combine("data", "mvtec_ad", "bottle", "train", "good", "000.png");
        var written = File.GetLastWriteTimeUtc(image);
        var log = new StringWriter();

        var again = PreparationHarness.Prepare("mvtec-ad", dir.Combine("data"), archive, log);

        Assert.True(again.AlreadyPrepared);
        Assert.Equal(3, again.Summary.Images(null, "train", "good"));
        Assert.Equal(written, File.GetLastWriteTimeUtc(image));
        Assert.Contains("already prepared", log.ToString());
    }

    [Fact]
    public void Leftovers_of_an_interrupted_run_are_discarded()
    {
        using var dir = new TempDirectory();
        var archive = MakeArchive(dir);
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(dir.Combine("data", ".staging", "mvtec_ad", "bottle")).FullName, "stale.png"), "x");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(dir.Combine("data", ".extract", "mvtec-ad", "half")).FullName, "moved.png"), "x");

        PreparationHarness.Prepare("mvtec-ad", dir.Combine("data"), archive);

        var tree = MiniFiles.Tree(dir.Combine("data"));
        Assert.DoesNotContain(tree, f => f.Contains("stale") || f.Contains("moved"));
        Assert.Contains("mvtec_ad/bottle/train/good/001.png", tree);
    }

    [Fact]
    public void A_kept_extraction_is_reused_without_extracting_again()
    {
        using var dir = new TempDirectory();
        var archive = MakeArchive(dir);
        PreparationHarness.Prepare("mvtec-ad", dir.Combine("data"), archive, keepExtracted: true);
        Assert.True(File.Exists(dir.Combine("data", ".extract", "mvtec-ad", "bottle", "train", "good", "000.png")));
        Directory.Delete(dir.Combine("data", "mvtec_ad"), recursive: true);
        var log = new StringWriter();

        var again = PreparationHarness.Prepare("mvtec-ad", dir.Combine("data"), archive, log, keepExtracted: true);

        Assert.False(again.AlreadyPrepared);
        Assert.DoesNotContain("extracting", log.ToString());
        Assert.Equal(3, again.Summary.Images(null, "train", "good"));
    }

    [Fact]
    public void A_foreign_folder_in_the_way_is_not_overwritten()
    {
        using var dir = new TempDirectory();
        var archive = MakeArchive(dir);
        Directory.CreateDirectory(dir.Combine("data", "mvtec_ad"));

        var e = Assert.Throws<AnomalyMoEException>(() => PreparationHarness.Prepare("mvtec-ad", dir.Combine("data"), archive));

        Assert.Contains("mvtec_ad", e.Message);
    }

    [Fact]
    public void An_archive_without_categories_is_reported()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(dir.Combine("src")).FullName, "readme.txt"), "nothing");
        var archive = MiniFiles.TarGz(dir.Combine("src"), dir.Combine("empty.tar.gz"));

        var e = Assert.Throws<AnomalyMoEException>(() => PreparationHarness.Prepare("mvtec-ad", dir.Combine("data"), archive));

        Assert.Contains("No MVTec AD category", e.Message);
        Assert.False(Directory.Exists(dir.Combine("data", "mvtec_ad")));
    }
}
