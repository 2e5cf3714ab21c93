using System.Text.Json;
using AnomalyMoE.Components;
using AnomalyMoE.Data;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Data;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Training;
using SkiaSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Training;

/// <summary><c>--component-masks released:DIR</c>: the released heat images as a run's component masks.</summary>
[Collection(EngineCollection.Name)]
public class DetectorRuntimeTests(EngineFixture fixture)
{
    /// <summary>A 448-px heat JPEG: 0 outside, 255 inside the square [from, to).</summary>
    static void WriteHeat(string path, int from, int to, bool inverted = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(448, 448, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (int y = 0; y < 448; y++)
        for (int x = 0; x < 448; x++)
        {
            bool inside = y >= from && y < to && x >= from && x < to;
            byte v = inside != inverted ? (byte)255 : (byte)0;
            bitmap.SetPixel(x, y, new SKColor(v, v, v));
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>Released masks for the first <paramref name="images"/> training images of a category: image i's object square moves with i.</summary>
    static void WriteReleased(string root, string category, int images)
    {
        for (int i = 0; i < images; i++)
        {
            var folder = ReleasedComponentMasks.ImageFolder(root, category, "train", "good", i);
            WriteHeat(Path.Combine(folder, "heatresult0.jpg"), 112 + 56 * i, 280 + 56 * i);
            WriteHeat(Path.Combine(folder, "heatresult1.jpg"), 150, 300, inverted: true);   // background: touches every corner
        }
    }

    static (int Code, string Err) Amoe(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = AnomalyMoE.Cli.Cli.Run(args, stdout, stderr);
        return (code, stderr.ToString());
    }

    [Fact]
    public void Released_masks_are_each_images_own_heat_files_resized_and_cropped_as_the_preset_does()
    {
        using var dir = new TempDirectory();
        var data = dir.Combine("data");
        DatasetFixture.WriteCategory(data, "pushpins", train: 2);
        WriteReleased(dir.Combine("masks"), "pushpins", 2);
        var category = MvtecDatasetReader.Read(new DatasetSource(data)).Categories.Single();
        var preset = TrainingPresets.Get("micro");

        using var set = ComponentMaskSet.ReadReleased(dir.Combine("masks"), [category], preset, prefixTokens: 1);
        var records = category.Train.OrderBy(r => r.Path, StringComparer.Ordinal).ToList();
        var masks = set.Masks(records, null!, 64, 64);
        try
        {
            // The background heat image is dropped; one component per image remains.
            Assert.All(masks, m => Assert.Equal(new long[] { 1, 64, 64 }, m.shape));
            // 448 → 72 nearest, crop offset 4: image 0's square spans crop rows ≈ 14..40, image 1's ≈ 23..49.
            Assert.Equal((1, 0), (masks[0][0, 18, 18].item<byte>(), masks[0][0, 45, 45].item<byte>()));
            Assert.Equal((0, 1), (masks[1][0, 18, 18].item<byte>(), masks[1][0, 45, 45].item<byte>()));
        }
        finally
        {
            foreach (var m in masks) m.Dispose();
        }
    }

    [Fact]
    public void A_category_without_released_masks_is_named()
    {
        using var dir = new TempDirectory();
        var data = dir.Combine("data");
        DatasetFixture.WriteCategory(data, "pushpins");
        Directory.CreateDirectory(dir.Combine("masks"));
        var category = MvtecDatasetReader.Read(new DatasetSource(data)).Categories.Single();
        var e = Assert.Throws<AnomalyMoEException>(() => ComponentMaskSet.ReadReleased(dir.Combine("masks"), [category], TrainingPresets.Get("micro"), 1));
        Assert.Contains(Path.Combine(dir.Combine("masks"), "pushpins_heat_448"), e.Message);
    }

    [Fact]
    public void An_image_without_released_masks_is_named()
    {
        using var dir = new TempDirectory();
        var data = dir.Combine("data");
        DatasetFixture.WriteCategory(data, "pushpins", train: 2);
        WriteReleased(dir.Combine("masks"), "pushpins", 1);
        var category = MvtecDatasetReader.Read(new DatasetSource(data)).Categories.Single();
        using var set = ComponentMaskSet.ReadReleased(dir.Combine("masks"), [category], TrainingPresets.Get("micro"), 1);
        var second = category.Train.OrderBy(r => r.Path, StringComparer.Ordinal).Last();
        var e = Assert.Throws<AnomalyMoEException>(() => set.Masks([second], null!, 64, 64));
        Assert.Contains(second.Path, e.Message);
    }

    [Fact]
    public void Train_with_released_masks_records_them_and_a_resume_without_them_is_refused()
    {
        var data = fixture.OneCategory[0];
        var category = data.Categories[0];
        var masks = Path.Combine(fixture.NewRunFolder(), "released");
        var trainImages = MvtecDatasetReader.Read([new DatasetSource(data.Root, Categories: [category])]).Categories.Single().Train.Count();
        WriteReleased(masks, category, trainImages);
        var run = new RunDirectory(fixture.NewRunFolder());
        string[] common = ["train", "--data", data.Root, "--categories", category, "--preset", "micro", "--iters", "2",
            "--out", run.Root, "--device", "cpu", "--quiet", "--feature-cache-mib", "0"];

        var (code, err) = Amoe([.. common, "--component-masks", $"released:{masks}", "--stop-after", "1"]);
        Assert.True(code == 0, err);
        using (var json = JsonDocument.Parse(File.ReadAllText(run.ConfigPath)))
            Assert.Equal($"released:{Path.GetFullPath(masks)}", json.RootElement.GetProperty("component_masks").GetString());
        Assert.Empty(Directory.GetFiles(run.ComponentCacheDirectory));   // nothing was fitted

        (code, err) = Amoe([.. common, "--resume"]);
        Assert.Equal(2, code);
        Assert.Contains("--component-masks", err);
        (code, err) = Amoe([.. common, "--component-masks", $"released:{masks}", "--resume"]);
        Assert.True(code == 0, err);
    }

    [Theory]
    [InlineData("released:/no/such/masks", "/no/such/masks")]
    [InlineData("authors", "released:DIR")]
    public void A_bad_component_mask_source_exits_2_naming_it(string value, string named)
    {
        using var dir = new TempDirectory();
        DatasetFixture.WriteCategory(dir.Combine("data"), "pushpins");
        var (code, err) = Amoe("train", "--data", dir.Combine("data"), "--preset", "micro", "--out", dir.Combine("run"), "--quiet",
            "--component-masks", value);
        Assert.Equal(2, code);
        Assert.Contains(named, err);
        Assert.DoesNotContain("   at ", err);
    }
}
