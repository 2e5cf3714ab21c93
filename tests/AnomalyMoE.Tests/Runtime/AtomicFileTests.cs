using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Runtime;

public class AtomicFileTests
{
    [Fact]
    public void AtomicWriteLeavesOnlyTheTarget()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("sub", "file.bin");
        AtomicFile.Write(path, [1, 2, 3]);
        AtomicFile.Write(path, [4, 5]);
        Assert.Equal([4, 5], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(temp.Combine("sub")));
    }

    [Fact]
    public void TextIsWrittenAsUtf8WithoutAByteOrderMark()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("note.txt");
        AtomicFile.WriteText(path, "é");
        Assert.Equal([0xC3, 0xA9], File.ReadAllBytes(path));
    }
}
