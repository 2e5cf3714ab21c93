using AnomalyMoE.Synthetic;
using AnomalyMoE.Tests.Support;
using SkiaSharp;

namespace AnomalyMoE.Tests.Synthetic;

public class GalleryTests
{
    [Fact]
    public void SheetHasARowPerCategoryAndAColumnPerNormalAndAnomalyType()
    {
        using var sheet = Gallery.Render([SyntheticFamilies.Logical], seed: 0, tileSize: 48, normals: 2);
        var categories = SyntheticFamilies.Categories(SyntheticFamilies.Logical);
        var columns = categories.Max(c => 2 + c.AnomalyKinds.Count);
        Assert.Equal(6 + columns * (48 + 6), sheet.Width);
        Assert.Equal(6 + categories.Count * (14 + 48 + 14 + 6), sheet.Height);
    }

    [Fact]
    public void MasksAreOutlinedInRed()
    {
        using var sheet = Gallery.Render([SyntheticFamilies.Medical], seed: 0, tileSize: 64, normals: 1);
        var red = 0;
        for (var y = 0; y < sheet.Height; y++)
            for (var x = 0; x < sheet.Width; x++)
                if (sheet.GetPixel(x, y) == new SKColor(255, 0, 0)) red++;
        Assert.True(red > 20, $"only {red} outline pixels");
    }

    [Fact]
    public void WriteProducesADecodablePngAndNoTemporaryFiles()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("gallery.png");
        Gallery.Write(path, [SyntheticFamilies.ThreeD], tileSize: 40, normals: 1);
        using var decoded = SKBitmap.Decode(path);
        Assert.NotNull(decoded);
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }
}
