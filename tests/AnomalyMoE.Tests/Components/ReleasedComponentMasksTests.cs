using AnomalyMoE.Components;
using AnomalyMoE.Tests.Support;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Components;

public class ReleasedComponentMasksTests
{
    // Writes a 448×448 JPEG: background value `bg`, a square [from, to) of value `fg`.
    static void WriteHeat(string path, byte bg, byte fg, int from, int to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(448, 448, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (int y = 0; y < 448; y++)
        for (int x = 0; x < 448; x++)
        {
            var v = y >= from && y < to && x >= from && x < to ? fg : bg;
            bitmap.SetPixel(x, y, new SKColor(v, v, v));
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    [Fact]
    public void Otsu_splits_a_two_level_histogram_at_the_lower_level()
    {
        var values = Enumerable.Repeat((byte)50, 100).Concat(Enumerable.Repeat((byte)200, 60)).ToArray();
        Assert.Equal(50, OtsuThreshold.Compute(values));
    }

    [Fact]
    public void Keeps_central_strong_clusters_and_drops_background_and_weak_ones()
    {
        using var dir = new TempDirectory();
        var image0 = ReleasedComponentMasks.ImageFolder(dir.Path, "pushpins", "train", "good", 0);
        WriteHeat(Path.Combine(image0, "heatresult0.jpg"), 0, 255, 150, 300);   // central object: kept
        WriteHeat(Path.Combine(image0, "heatresult1.jpg"), 255, 0, 150, 300);   // background ring touching all corners: dropped
        WriteHeat(Path.Combine(image0, "heatresult2.jpg"), 0, 40, 150, 300);    // too weak (max 40 ≤ 64): dropped
        WriteHeat(Path.Combine(ReleasedComponentMasks.ImageFolder(dir.Path, "pushpins", "train", "good", 10), "heatresult1.jpg"), 0, 255, 150, 300);
        Assert.Equal(new[] { 0 }, ReleasedComponentMasks.KeptComponents(dir.Path, "pushpins"));
    }

    [Fact]
    public void Missing_category_folder_keeps_the_default_five()
    {
        using var dir = new TempDirectory();
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, ReleasedComponentMasks.KeptComponents(dir.Path, "none"));
    }

    [Fact]
    public void Reads_otsu_masks_centre_cropped_to_the_image_size()
    {
        using var dir = new TempDirectory();
        var folder = ReleasedComponentMasks.ImageFolder(dir.Path, "pushpins", "test", "logical_anomalies", 3);
        WriteHeat(Path.Combine(folder, "heatresult0.jpg"), 10, 240, 100, 200);
        WriteHeat(Path.Combine(folder, "heatresult2.jpg"), 10, 240, 250, 350);
        using var masks = ReleasedComponentMasks.Read(folder, [0, 1, 2], 392, 392);
        Assert.Equal(new long[] { 2, 392, 392 }, masks.shape);
        // Crop offset (448 − 392) / 2 = 28: the first square covers rows/cols 72..171 of the crop.
        Assert.Equal(1, masks[0, 100, 100].item<byte>());
        Assert.Equal(0, masks[0, 60, 60].item<byte>());
        Assert.Equal(0, masks[0, 180, 180].item<byte>());
        Assert.Equal(1, masks[1, 250, 250].item<byte>());
        using var area = masks[0].to_type(int64).sum();
        Assert.InRange(area.item<long>(), 100 * 100 - 400, 100 * 100 + 400);
    }

    [Fact]
    public void No_files_give_an_empty_mask_set()
    {
        using var dir = new TempDirectory();
        using var masks = ReleasedComponentMasks.Read(dir.Path, [0, 1], 392, 392);
        Assert.Equal(new long[] { 0, 392, 392 }, masks.shape);
    }

    [Fact]
    public void Image_index_is_the_position_in_the_sorted_folder_listing()
    {
        using var dir = new TempDirectory();
        foreach (var name in new[] { "010.png", "002.png", "001.JPG", "notes.txt", "003.jpg" }) File.WriteAllText(dir.Combine(name), "");
        Assert.Equal(0, ReleasedComponentMasks.ImageIndex(dir.Combine("001.JPG")));
        Assert.Equal(2, ReleasedComponentMasks.ImageIndex(dir.Combine("010.png")));
        Assert.Throws<ArgumentException>(() => ReleasedComponentMasks.ImageIndex(dir.Combine("003.jpg")));
    }

    [Fact]
    public void Undecodable_heat_image_is_named()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("heatresult0.jpg");
        File.WriteAllText(path, "not a jpeg");
        var e = Assert.Throws<AnomalyMoE.Runtime.AnomalyMoEException>(() => GrayImage.Load(path));
        Assert.Contains(path, e.Message);
    }
}
