using AnomalyMoE.Data.Preparation;
using AnomalyMoE.Tests.Support;
using SkiaSharp;

namespace AnomalyMoE.Tests.Data.Preparation;

public class Mvtec3dConverterTests
{
    const int W = 40, H = 30;

    // A tilted support plane z = 0.5 + 0.1·x, with a box 2 cm closer to the camera in the middle and
    // one missing point (all zeros), as MVTec 3D-AD marks them.
    static (float, float, float) Scene(int px, int py)
    {
        if (px == 20 && py == 2) return (0, 0, 0);
        float x = (px - W / 2) * 0.001f, y = (py - H / 2) * 0.001f;
        float z = 0.5f + 0.1f * x;
        bool box = px is >= 15 and < 25 && py is >= 10 and < 20;
        return (x, y, box ? z - 0.02f - 0.0005f * (px - 15) : z);
    }

    static void Sample(string defectDir, string stem, bool withGt)
    {
        MiniFiles.ColorImage(Path.Combine(defectDir, "rgb", stem + ".png"), W, H, SKColors.SandyBrown);
        MiniFiles.XyzTiff(Path.Combine(defectDir, "xyz", stem + ".tiff"), W, H, Scene);
        if (withGt) MiniFiles.GrayPng(Path.Combine(defectDir, "gt", stem + ".png"), W, H, Enumerable.Range(0, W * H).Select(i => i % W == 17 ? (byte)1 : (byte)0).ToArray());
    }

    static string MakeArchive(TempDirectory dir)
    {
        var cat = dir.Combine("src", "bagel");
        Sample(Path.Combine(cat, "train", "good"), "000", withGt: true);
        Sample(Path.Combine(cat, "validation", "good"), "000", withGt: true);
        Sample(Path.Combine(cat, "test", "good"), "000", withGt: true);
        Sample(Path.Combine(cat, "test", "crack"), "000", withGt: true);
        Sample(Path.Combine(cat, "test", "crack"), "001", withGt: true);
        return MiniFiles.TarGz(dir.Combine("src"), dir.Combine("mini3d.tar.gz"));
    }

    [Fact]
    public void Rgb_and_depth_become_sibling_datasets_with_the_same_names_and_masks()
    {
        using var dir = new TempDirectory();

        var result = PreparationHarness.Prepare("mvtec-3d", dir.Combine("data"), MakeArchive(dir));

        string[] expected = [".amoe-prepared.json", "bagel/ground_truth/crack/000_mask.png", "bagel/ground_truth/crack/001_mask.png",
            "bagel/test/crack/000.png", "bagel/test/crack/001.png", "bagel/test/good/000.png", "bagel/train/good/000.png", "bagel/validation/good/000.png"];
        Assert.Equal(expected, MiniFiles.Tree(dir.Combine("data", "mvtec_ad_3d")));
        Assert.Equal(expected, MiniFiles.Tree(dir.Combine("data", "mvtec_ad_3d_depth")));
        var (_, _, mask) = MiniFiles.ReadGray(dir.Combine("data", "mvtec_ad_3d_depth", "bagel", "ground_truth", "crack", "001_mask.png"));
        Assert.All(mask.Select((v, i) => (v, i)), p => Assert.Equal(p.i % W == 17 ? 255 : 0, p.v));
        Assert.Equal(2, result.Summary.Images("bagel", "test", "crack", Mvtec3dConverter.DepthFolder));
        Assert.Equal(2, result.Summary.Masks("bagel", "test", "crack", Mvtec3dConverter.RgbFolder));
    }

    [Fact]
    public void Depth_keeps_the_object_drops_the_support_plane_and_scales_z_to_16_bits()
    {
        using var dir = new TempDirectory();
        PreparationHarness.Prepare("mvtec-3d", dir.Combine("data"), MakeArchive(dir));

        var depth = ImageFiles.ReadGray16Png(dir.Combine("data", "mvtec_ad_3d_depth", "bagel", "train", "good", "000.png"));

        Assert.Equal((W, H), (depth.Width, depth.Height));
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                bool box = x is >= 15 and < 25 && y is >= 10 and < 20;
                Assert.True(box == (depth.Pixels[y * W + x] != 0), $"pixel ({x},{y}) = {depth.Pixels[y * W + x]}");
            }
        // Within the box z decreases with x; the nearest point maps to 1 and the farthest to 65535.
        Assert.Equal(65535, depth.Pixels[10 * W + 15]);
        Assert.Equal(1, depth.Pixels[10 * W + 24]);
        Assert.True(depth.Pixels[10 * W + 18] > depth.Pixels[10 * W + 19]);
    }

    [Fact]
    public void Sixteen_bit_png_round_trips()
    {
        using var dir = new TempDirectory();
        var image = new GrayImage<ushort>(3, 2, [0, 1, 256, 65535, 4660, 22136]);
        var path = dir.Combine("d.png");

        ImageFiles.WriteGray16Png(path, image);
        var back = ImageFiles.ReadGray16Png(path);

        Assert.Equal(image.Pixels, back.Pixels);
        Assert.Equal((3, 2), ImageFiles.ReadSize(path)); // a standard PNG other decoders read too
    }
}
