using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;
using SkiaSharp;

namespace AnomalyMoE.Tests.Data.Preparation;

public class BmadConverterTests
{
    static readonly byte[] MaskValues = [0, 0, 0, 128, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    static string MakeFolder(TempDirectory dir)
    {
        var src = dir.Combine("bmad_download");
        // Brain: images under img/, masks in label/, colour-mapped RGBA slices with transparency.
        var brain = Path.Combine(src, "Brain");
        MiniFiles.ColorImage(Path.Combine(brain, "train", "good", "img", "00003_60.png"), 4, 4, new SKColor(200, 10, 10, 128));
        MiniFiles.ColorImage(Path.Combine(brain, "valid", "good", "img", "00025_99.png"), 4, 4, new SKColor(10, 10, 10, 255));
        MiniFiles.ColorImage(Path.Combine(brain, "valid", "Ungood", "img", "00124_60.png"), 4, 4, new SKColor(10, 200, 10, 255));
        MiniFiles.GrayPng(Path.Combine(brain, "valid", "Ungood", "label", "00124_60.png"), 4, 4, MaskValues);
        MiniFiles.ColorImage(Path.Combine(brain, "test", "good", "img", "00000_96.png"), 4, 4, SKColors.Black);
        MiniFiles.ColorImage(Path.Combine(brain, "test", "Ungood", "img", "00002_60.png"), 4, 4, SKColors.Blue);
        MiniFiles.GrayPng(Path.Combine(brain, "test", "Ungood", "label", "00002_60.png"), 4, 4, MaskValues);
        // Liver: train images directly in good/, masks in anomaly_mask/.
        var liver = Path.Combine(src, "Liver");
        MiniFiles.ColorImage(Path.Combine(liver, "train", "good", "a.png"), 4, 4, SKColors.Gray);
        MiniFiles.ColorImage(Path.Combine(liver, "test", "good", "img", "b.png"), 4, 4, SKColors.Gray);
        MiniFiles.ColorImage(Path.Combine(liver, "test", "Ungood", "img", "c.png"), 4, 4, SKColors.White);
        MiniFiles.GrayPng(Path.Combine(liver, "test", "Ungood", "anomaly_mask", "c.png"), 4, 4, MaskValues);
        var resc = Path.Combine(src, "Retina_RESC");
        MiniFiles.ColorImage(Path.Combine(resc, "train", "good", "img", "r1.png"), 4, 4, SKColors.Gray);
        MiniFiles.ColorImage(Path.Combine(resc, "test", "Ungood", "img", "r2.png"), 4, 4, SKColors.White);
        MiniFiles.GrayPng(Path.Combine(resc, "test", "Ungood", "label", "r2.png"), 4, 4, MaskValues);
        return src;
    }

    [Fact]
    public void The_three_sets_are_flattened_into_the_mvtec_layout()
    {
        using var dir = new TempDirectory();
        var source = MakeFolder(dir);
        var before = MiniFiles.Tree(source);

        var result = PreparationHarness.Prepare("bmad", dir.Combine("data"), source);

        Assert.Equal(
            [".amoe-prepared.json",
             "BrainMRI/ground_truth/anomaly/00002_60_mask.png", "BrainMRI/test/anomaly/00002_60.png", "BrainMRI/test/good/00000_96.png",
             "BrainMRI/train/good/00003_60.png", "BrainMRI/validation/anomaly/00124_60.png", "BrainMRI/validation/good/00025_99.png",
             "BrainMRI/validation_ground_truth/anomaly/00124_60_mask.png",
             "LiverCT/ground_truth/anomaly/c_mask.png", "LiverCT/test/anomaly/c.png", "LiverCT/test/good/b.png", "LiverCT/train/good/a.png",
             "RESC/ground_truth/anomaly/r2_mask.png", "RESC/test/anomaly/r2.png", "RESC/train/good/r1.png"],
            MiniFiles.Tree(dir.Combine("data", "BMAD")));
        Assert.Equal(before, MiniFiles.Tree(source)); // a folder the user points at is only read
        var (_, _, mask) = MiniFiles.ReadGray(dir.Combine("data", "BMAD", "LiverCT", "ground_truth", "anomaly", "c_mask.png"));
        Assert.Equal(new byte[] { 0, 0, 0, 255, 255, 0 }, mask[..6]);
        Assert.Equal(1, result.Summary.Images("BrainMRI", "validation", "anomaly"));
        Assert.Equal(1, result.Summary.Masks("RESC", "test", "anomaly"));
    }

    [Fact]
    public void Colour_mapped_rgba_slices_become_opaque_rgb()
    {
        using var dir = new TempDirectory();
        PreparationHarness.Prepare("bmad", dir.Combine("data"), MakeFolder(dir));

        var (pixels, alpha) = MiniFiles.ReadRgba(dir.Combine("data", "BMAD", "BrainMRI", "train", "good", "00003_60.png"));

        Assert.Equal(SKAlphaType.Opaque, alpha);
        Assert.All(pixels, p => Assert.Equal(255, p.Alpha));
        Assert.InRange(pixels[0].Red, 95, 105); // 200 at alpha 128, composited over black
    }

    [Fact]
    public async Task Without_a_local_copy_the_error_explains_the_manual_download()
    {
        using var dir = new TempDirectory();
        var preparer = new AnomalyMoE.Data.Preparation.DatasetPreparer(new AnomalyMoE.Data.Download.ResumableDownloader(), new StringWriter());

        var e = await Assert.ThrowsAsync<AnomalyMoEException>(() => preparer.PrepareAsync(new("bmad", dir.Path, AcceptLicence: true)));

        Assert.Contains("--from-archive", e.Message);
    }

    [Fact]
    public void A_missing_category_is_named()
    {
        using var dir = new TempDirectory();
        var source = MakeFolder(dir);
        Directory.Delete(Path.Combine(source, "Liver"), recursive: true);

        var e = Assert.Throws<AnomalyMoEException>(() => PreparationHarness.Prepare("bmad", dir.Combine("data"), source));

        Assert.Contains("LiverCT", e.Message);
    }
}
