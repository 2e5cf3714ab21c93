using System.Diagnostics;
using AnomalyMoE.Synthetic;
using AnomalyMoE.Tests.Support;
using SkiaSharp;

namespace AnomalyMoE.Tests.Synthetic;

public class PngFilesTests
{
    /// <summary>
    /// An independent decoder in Python's standard library (zlib only): checks the signature, every chunk's
    /// CRC, the header, undoes filters 0 and 1, and prints the samples. No imaging library involved.
    /// </summary>
    const string DecoderScript = """
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\x89PNG\r\n\x1a\n', 'signature'
        pos, idat, header = 8, b'', None
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            crc, = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])
            assert zlib.crc32(kind + body) & 0xffffffff == crc, 'crc of ' + kind.decode()
            if kind == b'IHDR': header = struct.unpack('>IIBBBBB', body)
            if kind == b'IDAT': idat += body
            pos += 12 + length
        width, height, depth, colour = header[:4]
        channels = {0: 1, 2: 3}[colour]
        bpp = channels * depth // 8
        raw = zlib.decompress(idat)
        stride = width * bpp
        rows = []
        for y in range(height):
            f = raw[y * (stride + 1)]
            row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            assert f in (0, 1), 'filter'
            if f == 1:
                for i in range(bpp, stride): row[i] = (row[i] + row[i - bpp]) & 0xff
            rows.append(row)
        fmt = '>' + ('H' if depth == 16 else 'B') * (width * channels)
        values = [v for row in rows for v in struct.unpack(fmt, bytes(row))]
        print(width, height, depth, colour)
        print(' '.join(map(str, values)))
        """;

    static (int Width, int Height, int Depth, int Colour, int[] Values) DecodeWithPython(byte[] png)
    {
        using var temp = new TempDirectory();
        var script = temp.Combine("decode.py");
        File.WriteAllText(script, DecoderScript);
        var file = temp.Combine("image.png");
        File.WriteAllBytes(file, png);
        using var process = Process.Start(new ProcessStartInfo("python3", [script, file])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "python3 decoder failed: " + error);
        var lines = output.Split('\n');
        var head = lines[0].Split(' ').Select(int.Parse).ToArray();
        return (head[0], head[1], head[2], head[3], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray());
    }

    [Fact]
    public void SixteenBitGrayscaleDecodesBackExactly()
    {
        var (width, height) = (7, 5);
        var values = Enumerable.Range(0, width * height).Select(i => (ushort)(i * 1871 % 65536)).ToArray();
        values[0] = 0; values[1] = 65535; values[2] = 256; values[3] = 255;
        var decoded = DecodeWithPython(PngFiles.EncodeGray16(values, width, height));
        Assert.Equal((7, 5, 16, 0), (decoded.Width, decoded.Height, decoded.Depth, decoded.Colour));
        Assert.Equal(values.Select(v => (int)v), decoded.Values);
    }

    [Fact]
    public void RgbWithSubFilterDecodesBackExactly()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(6, 4, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var expected = new List<int>();
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 6; x++)
            {
                var colour = new SKColor((byte)(x * 50), (byte)(255 - y * 60), (byte)(x * y * 13 + 7));
                bitmap.SetPixel(x, y, colour);
                expected.AddRange([colour.Red, colour.Green, colour.Blue]);
            }
        }
        var decoded = DecodeWithPython(PngFiles.EncodeRgb(bitmap));
        Assert.Equal((6, 4, 8, 2), (decoded.Width, decoded.Height, decoded.Depth, decoded.Colour));
        Assert.Equal(expected, decoded.Values);
    }

    [Fact]
    public void RgbAndMaskAreReadableBySkia()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(3, 3, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(new SKColor(10, 200, 30));
        bitmap.SetPixel(1, 2, new SKColor(250, 5, 128));
        using var rgb = SKBitmap.Decode(PngFiles.EncodeRgb(bitmap));
        Assert.Equal(new SKColor(250, 5, 128), rgb.GetPixel(1, 2));
        Assert.Equal(new SKColor(10, 200, 30), rgb.GetPixel(0, 0));
        using var mask = SKBitmap.Decode(PngFiles.EncodeGray8([0, 255, 0, 0, 0, 0, 255, 0, 0], 3));
        Assert.Equal(SKColorType.Gray8, mask.ColorType);
        Assert.Equal(255, mask.GetPixel(1, 0).Red);
        Assert.Equal(0, mask.GetPixel(0, 0).Red);
    }

    [Fact]
    public void WrongValueCountIsRejectedWithTheExpectedSize()
    {
        var error = Assert.Throws<ArgumentException>(() => PngFiles.EncodeGray16(new ushort[5], 2, 2));
        Assert.Contains("4", error.Message);
    }

    [Fact]
    public void AtomicWriteLeavesOnlyTheTarget()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("sub", "file.bin");
        PngFiles.WriteAtomically(path, [1, 2, 3]);
        PngFiles.WriteAtomically(path, [4, 5]);
        Assert.Equal([4, 5], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(temp.Combine("sub")));
    }
}
