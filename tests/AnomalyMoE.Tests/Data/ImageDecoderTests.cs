using AnomalyMoE.Data;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Data;

public class ImageDecoderTests
{
    static (byte, byte, byte) Pattern(int x, int y) => ((byte)(x * 30), (byte)(y * 40), (byte)(255 - x * y));

    static void AssertPattern(RgbImage image, int width, int height, float tolerance = 0f)
    {
        Assert.Equal((width, height), (image.Width, image.Height));
        int plane = width * height;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = Pattern(x, y);
                int i = y * width + x;
                Assert.InRange(image.Pixels[i], r / 255f - tolerance, r / 255f + tolerance);
                Assert.InRange(image.Pixels[plane + i], g / 255f - tolerance, g / 255f + tolerance);
                Assert.InRange(image.Pixels[2 * plane + i], b / 255f - tolerance, b / 255f + tolerance);
            }
    }

    [Fact]
    public void Png_decodes_to_rgb_planes_scaled_to_unit_range()
    {
        using var dir = new TempDirectory();
        var path = TestImages.WritePng(dir.Combine("a.png"), 5, 4, Pattern);

        AssertPattern(ImageDecoder.DecodeRgb(path), 5, 4);
    }

    [Fact]
    public void Bmp_decodes_exactly()
    {
        using var dir = new TempDirectory();
        var path = TestImages.WriteBmp(dir.Combine("a.bmp"), 5, 4, Pattern);

        AssertPattern(ImageDecoder.DecodeRgb(path), 5, 4);
    }

    [Theory]
    [InlineData("a.jpg")]
    [InlineData("b.JPG")]
    [InlineData("c.jpeg")]
    public void Jpeg_decodes_close_to_the_source(string name)
    {
        using var dir = new TempDirectory();
        var path = TestImages.WriteJpeg(dir.Combine(name), 16, 16, (_, _) => (200, 100, 50));

        var image = ImageDecoder.DecodeRgb(path);

        Assert.Equal((16, 16), (image.Width, image.Height));
        Assert.InRange(image.Pixels[0], 195 / 255f, 205 / 255f);
        Assert.InRange(image.Pixels[256], 95 / 255f, 105 / 255f);
        Assert.InRange(image.Pixels[512], 45 / 255f, 55 / 255f);
    }

    [Fact]
    public void Grayscale_becomes_three_equal_channels()
    {
        using var dir = new TempDirectory();
        var path = TestImages.WriteGrayPng(dir.Combine("g.png"), 3, 2, (x, y) => (byte)(x * 50 + y * 7));

        var image = ImageDecoder.DecodeRgb(path);

        for (int i = 0; i < 6; i++)
        {
            float expected = ((i % 3) * 50 + (i / 3) * 7) / 255f;
            Assert.Equal(expected, image.Pixels[i]);
            Assert.Equal(expected, image.Pixels[6 + i]);
            Assert.Equal(expected, image.Pixels[12 + i]);
        }
    }

    [Fact]
    public void Rgba_drops_alpha_and_keeps_colour_under_transparency()
    {
        using var dir = new TempDirectory();
        var path = TestImages.WriteRgbaPng(dir.Combine("rgba.png"), 2, 1, (x, _) => x == 0 ? ((byte)200, (byte)100, (byte)50, (byte)0) : ((byte)10, (byte)20, (byte)30, (byte)128));

        var image = ImageDecoder.DecodeRgb(path);

        Assert.Equal([200 / 255f, 10 / 255f, 100 / 255f, 20 / 255f, 50 / 255f, 30 / 255f], image.Pixels);
    }

    [Fact]
    public void Sixteen_bit_rgb_keeps_its_precision()
    {
        using var dir = new TempDirectory();
        ushort[] values = [0, 1000, 65535, 32768, 12345, 54321];
        var path = TestImages.Write16BitPng(dir.Combine("deep.png"), 2, 1, rgb: true, (x, _, c) => values[3 * x + c]);

        var image = ImageDecoder.DecodeRgb(path);

        // Pixel 0 = (0, 1000, 65535), pixel 1 = (32768, 12345, 54321); planes R, G, B of two pixels each.
        float[] expected = [0, 32768, 1000, 12345, 65535, 54321];
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i] / 65535f, image.Pixels[i], 6);
        // 8-bit decoding would round 1000/65535 to 4/255.
        Assert.NotEqual(4 / 255f, image.Pixels[2], 6);
    }

    [Fact]
    public void Sixteen_bit_grayscale_becomes_three_equal_channels()
    {
        using var dir = new TempDirectory();
        var path = TestImages.Write16BitPng(dir.Combine("deep_gray.png"), 2, 1, rgb: false, (x, _, _) => (ushort)(x == 0 ? 300 : 60000));

        var image = ImageDecoder.DecodeRgb(path);

        foreach (int c in new[] { 0, 1, 2 })
        {
            Assert.Equal(300 / 65535f, image.Pixels[2 * c], 6);
            Assert.Equal(60000 / 65535f, image.Pixels[2 * c + 1], 6);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Sixteen_bit_png_of_every_colour_type_and_row_filter_decodes_exactly(int channels)
    {
        using var dir = new TempDirectory();
        static ushort Sample(int x, int y, int c) => (ushort)((x * 7919 + y * 104729 + c * 15485863) % 65536);
        var path = TestImages.Write16BitPng(dir.Combine($"deep{channels}.png"), 7, 10, channels, Sample, cycleFilters: true);

        var image = ImageDecoder.DecodeRgb(path);

        int plane = 7 * 10;
        for (int y = 0; y < 10; y++)
            for (int x = 0; x < 7; x++)
                for (int c = 0; c < 3; c++)
                {
                    int source = channels >= 3 ? c : 0; // gray repeats; alpha is dropped
                    Assert.Equal(Sample(x, y, source) / 65535f, image.Pixels[c * plane + y * 7 + x]);
                }
    }

    [Fact]
    public void Truncated_sixteen_bit_png_error_names_the_file()
    {
        using var dir = new TempDirectory();
        var good = TestImages.Write16BitPng(dir.Combine("deep.png"), 32, 32, 3, (x, y, c) => (ushort)(x * 1000 + y * 17 + c), cycleFilters: true);
        var bytes = File.ReadAllBytes(good);
        var path = dir.Combine("deep_truncated.png");
        File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);

        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.DecodeRgb(path));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Masks_are_binarised_at_greater_than_zero()
    {
        using var dir = new TempDirectory();
        var path = TestImages.WriteGrayPng(dir.Combine("m.png"), 4, 1, (x, _) => (byte)new[] { 0, 1, 128, 255 }[x]);

        Assert.Equal([0, 1, 1, 1], ImageDecoder.DecodeMask(path).Pixels);
    }

    [Fact]
    public void Sixteen_bit_masks_are_binarised_too()
    {
        using var dir = new TempDirectory();
        var path = TestImages.Write16BitPng(dir.Combine("m16.png"), 3, 1, rgb: false, (x, _, _) => (ushort)new[] { 0, 1, 65535 }[x]);

        Assert.Equal([0, 1, 1], ImageDecoder.DecodeMask(path).Pixels);
    }

    [Fact]
    public void Colour_masks_count_any_non_zero_channel()
    {
        using var dir = new TempDirectory();
        var path = TestImages.WritePng(dir.Combine("c.png"), 3, 1, (x, _) => x == 0 ? ((byte)0, (byte)0, (byte)0) : x == 1 ? ((byte)1, (byte)0, (byte)0) : ((byte)0, (byte)0, (byte)9));

        Assert.Equal([0, 1, 1], ImageDecoder.DecodeMask(path).Pixels);
    }

    [Fact]
    public void Garbage_file_error_names_the_file()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("bad.png");
        File.WriteAllText(path, "this is not a png");

        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.DecodeRgb(path));

        Assert.Contains(path, e.Message);
        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public void Truncated_png_error_names_the_file()
    {
        using var dir = new TempDirectory();
        var good = TestImages.WritePng(dir.Combine("full.png"), 64, 64, (x, y) => ((byte)(x * 7 ^ y * 13), (byte)(x * y), (byte)(x + y)));
        var bytes = File.ReadAllBytes(good);
        var path = dir.Combine("truncated.png");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.DecodeRgb(path));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Missing_file_error_names_the_file()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.DecodeRgb("/nonexistent/x.png"));
        Assert.Contains("/nonexistent/x.png", e.Message);
    }
}
