using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Data.Preparation;

public class UcsdPed2ConverterTests
{
    const int W = 12, H = 8;

    static string MakeArchive(TempDirectory dir)
    {
        var ped2 = dir.Combine("src", "UCSD_Anomaly_Dataset.v1p2", "UCSDped2");
        foreach (var clip in new[] { "Train001", "Train002" })
            foreach (var frame in new[] { "001", "002" })
                MiniFiles.GrayTiff(Path.Combine(ped2, "Train", clip, frame + ".tif"), W, H, (x, y) => (byte)(x * 10 + y));
        foreach (var frame in new[] { "001", "002", "003" })
            MiniFiles.GrayTiff(Path.Combine(ped2, "Test", "Test001", frame + ".tif"), W, H, (x, y) => (byte)(100 + x));
        MiniFiles.Bmp24(Path.Combine(ped2, "Test", "Test001_gt", "001.bmp"), W, H, (_, _) => 0);
        MiniFiles.Bmp24(Path.Combine(ped2, "Test", "Test001_gt", "002.bmp"), W, H, (x, y) => x == 3 && y == 2 ? (byte)255 : (byte)0);
        MiniFiles.Bmp24(Path.Combine(ped2, "Test", "Test001_gt", "003.bmp"), W, H, (x, _) => x < 2 ? (byte)1 : (byte)0);
        // Ped1 sits beside Ped2 in the archive and is ignored.
        MiniFiles.GrayTiff(dir.Combine("src", "UCSD_Anomaly_Dataset.v1p2", "UCSDped1", "Train", "Train001", "001.tif"), W, H, (_, _) => 0);
        return MiniFiles.TarGz(dir.Combine("src"), dir.Combine("UCSD_mini.tar.gz"));
    }

    [Fact]
    public void Frames_become_pngs_named_by_clip_and_split_by_their_masks()
    {
        using var dir = new TempDirectory();

        var result = PreparationHarness.Prepare("ped2", dir.Combine("data"), MakeArchive(dir));

        var root = dir.Combine("data", "Ped2");
        Assert.Equal(
            [".amoe-prepared.json",
             "pedestrian/ground_truth/anomaly/Test001_002_mask.png", "pedestrian/ground_truth/anomaly/Test001_003_mask.png",
             "pedestrian/test/anomaly/Test001_002.png", "pedestrian/test/anomaly/Test001_003.png", "pedestrian/test/good/Test001_001.png",
             "pedestrian/train/good/Train001_001.png", "pedestrian/train/good/Train001_002.png",
             "pedestrian/train/good/Train002_001.png", "pedestrian/train/good/Train002_002.png"],
            MiniFiles.Tree(root));
        var (w, h, frame) = MiniFiles.ReadGray(Path.Combine(root, "pedestrian", "train", "good", "Train002_001.png"));
        Assert.Equal((W, H), (w, h));
        Assert.Equal(3 * 10 + 2, frame[2 * W + 3]);
        var (_, _, mask) = MiniFiles.ReadGray(Path.Combine(root, "pedestrian", "ground_truth", "anomaly", "Test001_002_mask.png"));
        Assert.Equal(255, mask[2 * W + 3]);
        Assert.Equal(1, mask.Count(v => v != 0));
        Assert.Equal(4, result.Summary.Images("pedestrian", "train", "good"));
        Assert.Equal(1, result.Summary.Images("pedestrian", "test", "good"));
        Assert.Equal(2, result.Summary.Masks("pedestrian", "test", "anomaly"));
    }

    [Fact]
    public void A_second_run_reports_the_same_counts_without_converting_again()
    {
        using var dir = new TempDirectory();
        var archive = MakeArchive(dir);
        var first = PreparationHarness.Prepare("ped2", dir.Combine("data"), archive);
        var tree = MiniFiles.Tree(dir.Combine("data", "Ped2"));

        var second = PreparationHarness.Prepare("ped2", dir.Combine("data"), archive);

        Assert.True(second.AlreadyPrepared);
        Assert.Equal(first.Summary.Counts, second.Summary.Counts);
        Assert.Equal(tree, MiniFiles.Tree(dir.Combine("data", "Ped2")));
    }
}
