using AnomalyMoE.Tests.Support;
using SkiaSharp;

namespace AnomalyMoE.Tests.Data.Preparation;

public class VisaConverterTests
{
    static string MakeArchive(TempDirectory dir)
    {
        var src = dir.Combine("src");
        foreach (var n in new[] { "0000", "0001", "0002" })
            MiniFiles.ColorImage(Path.Combine(src, "candle", "Data", "Images", "Normal", n + ".JPG"), 6, 4, SKColors.Beige);
        MiniFiles.ColorImage(Path.Combine(src, "candle", "Data", "Images", "Anomaly", "0100.JPG"), 6, 4, SKColors.Brown);
        // Class ids 0, 1 and 2, as VisA's masks hold them.
        MiniFiles.GrayPng(Path.Combine(src, "candle", "Data", "Masks", "Anomaly", "0100.png"), 6, 4,
            [0, 0, 1, 1, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        Directory.CreateDirectory(Path.Combine(src, "split_csv"));
        File.WriteAllLines(Path.Combine(src, "split_csv", "1cls.csv"),
        [
            "object,split,label,image,mask",
            "candle,train,normal,candle/Data/Images/Normal/0000.JPG,",
            "candle,train,normal,candle/Data/Images/Normal/0001.JPG,",
            "candle,test,normal,candle/Data/Images/Normal/0002.JPG,",
            "candle,test,anomaly,candle/Data/Images/Anomaly/0100.JPG,candle/Data/Masks/Anomaly/0100.png",
        ]);
        return MiniFiles.TarGz(src, dir.Combine("VisA_mini.tar.gz"));
    }

    [Fact]
    public void The_split_csv_decides_the_split_and_masks_are_binarised()
    {
        using var dir = new TempDirectory();

        var result = PreparationHarness.Prepare("visa", dir.Combine("data"), MakeArchive(dir));

        var root = dir.Combine("data", "VisA");
        Assert.Equal(
            [".amoe-prepared.json", "candle/ground_truth/bad/0100.png", "candle/test/bad/0100.JPG", "candle/test/good/0002.JPG",
             "candle/train/good/0000.JPG", "candle/train/good/0001.JPG"],
            MiniFiles.Tree(root));
        var (w, h, mask) = MiniFiles.ReadGray(Path.Combine(root, "candle", "ground_truth", "bad", "0100.png"));
        Assert.Equal((6, 4), (w, h));
        Assert.Equal(new byte[] { 0, 0, 255, 255, 0, 0, 0, 255, 255, 0 }, mask[..10]);
        Assert.All(mask, v => Assert.True(v is 0 or 255));
        Assert.Equal(2, result.Summary.Images("candle", "train", "good"));
        Assert.Equal(1, result.Summary.Masks("candle", "test", "bad"));
    }

    [Fact]
    public void A_csv_without_the_mask_column_is_named()
    {
        using var dir = new TempDirectory();
        var src = dir.Combine("src");
        Directory.CreateDirectory(Path.Combine(src, "split_csv"));
        File.WriteAllLines(Path.Combine(src, "split_csv", "1cls.csv"), ["object,split,label,image", "candle,train,normal,x.JPG"]);
        var archive = MiniFiles.TarGz(src, dir.Combine("bad.tar.gz"));

        var e = Assert.Throws<AnomalyMoE.Runtime.AnomalyMoEException>(() => PreparationHarness.Prepare("visa", dir.Combine("data"), archive));

        Assert.Contains("'mask'", e.Message);
    }
}
