using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Cli;

public class SynthCommandTests
{
    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = AnomalyMoE.Cli.Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void SynthWritesTheFamilyAndMetadata()
    {
        using var dir = new TempDirectory();
        var (code, stdout, stderr) = Run("synth", "--family", "medical", "--out", dir.Path, "--size", "48", "--train", "2", "--test", "6", "--seed", "3");
        Assert.True(code == 0, stderr);
        Assert.Contains("wrote 16 images", stdout);
        Assert.Contains("100 %", stderr);
        Assert.True(File.Exists(dir.Combine("metadata.csv")));
        Assert.Equal(2, Directory.GetFiles(dir.Combine("medical", "brain_mri", "train", "good")).Length);
        Assert.False(Directory.Exists(dir.Combine("industrial")));
    }

    [Fact]
    public void GalleryOptionWritesAPng()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("sheet.png");
        var (code, _, stderr) = Run("synth", "--family", "video", "--gallery", path, "--size", "40");
        Assert.True(code == 0, stderr);
        Assert.True(new FileInfo(path).Length > 0);
    }

    [Theory]
    [InlineData("Family 'bogus' is unknown", "synth", "--family", "bogus", "--out", "x")]
    [InlineData("--out DIR is required", "synth", "--family", "3d")]
    [InlineData("TestPerCategory 3 is too small", "synth", "--out", "x", "--test", "3")]
    public void BadInputExitsWithCodeTwoAndAClearMessage(string message, params string[] args)
    {
        var (code, _, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
    }
}
