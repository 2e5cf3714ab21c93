using System.IO.Compression;
using AnomalyMoE.Data.Download;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Data.Download;

public class ArchiveExtractorTests
{
    static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "Download", "golden", name);

    [Fact]
    public void A_tar_xz_archive_is_unpacked_with_the_managed_xz_decoder()
    {
        using var dir = new TempDirectory();

        int files = ArchiveExtractor.Extract(Golden("mini.tar.xz"), dir.Path);

        Assert.Equal(2, files);
        Assert.Equal("hello xz\n", File.ReadAllText(dir.Combine("mini", "a.txt")));
        Assert.Equal("second file\n", File.ReadAllText(dir.Combine("mini", "sub", "b.txt")));
    }

    [Fact]
    public void A_tar_gz_archive_is_unpacked()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(dir.Combine("src", "x")).FullName, "c.txt"), "gz");
        var archive = Data.MiniFiles.TarGz(dir.Combine("src"), dir.Combine("a.tar.gz"));

        ArchiveExtractor.Extract(archive, dir.Combine("out"));

        Assert.Equal("gz", File.ReadAllText(dir.Combine("out", "x", "c.txt")));
    }

    [Fact]
    public void A_zip_archive_is_unpacked()
    {
        using var dir = new TempDirectory();
        var archive = dir.Combine("a.zip");
        using (var zip = ZipFile.Open(archive, ZipArchiveMode.Create))
        using (var writer = new StreamWriter(zip.CreateEntry("d/e.txt").Open()))
            writer.Write("zip");

        Assert.Equal(1, ArchiveExtractor.Extract(archive, dir.Combine("out")));
        Assert.Equal("zip", File.ReadAllText(dir.Combine("out", "d", "e.txt")));
    }

    [Fact]
    public void An_entry_that_escapes_the_destination_is_refused()
    {
        using var dir = new TempDirectory();
        var archive = dir.Combine("evil.zip");
        using (var zip = ZipFile.Open(archive, ZipArchiveMode.Create))
        using (var writer = new StreamWriter(zip.CreateEntry("../escaped.txt").Open()))
            writer.Write("x");

        var e = Assert.Throws<AnomalyMoEException>(() => ArchiveExtractor.Extract(archive, dir.Combine("out")));

        Assert.Contains("outside", e.Message);
        Assert.False(File.Exists(dir.Combine("escaped.txt")));
    }

    [Fact]
    public void A_damaged_xz_archive_gets_an_error_naming_it()
    {
        using var dir = new TempDirectory();
        var bytes = File.ReadAllBytes(Golden("mini.tar.xz"));
        bytes[bytes.Length / 2] ^= 0xFF;
        var archive = dir.Combine("broken.tar.xz");
        File.WriteAllBytes(archive, bytes);

        var e = Assert.ThrowsAny<Exception>(() => ArchiveExtractor.Extract(archive, dir.Combine("out")));

        Assert.IsType<AnomalyMoEException>(e);
        Assert.Contains("broken.tar.xz", e.Message);
    }

    [Fact]
    public void An_unknown_archive_type_is_named()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => ArchiveExtractor.KindOf("data.rar"));
        Assert.Contains("data.rar", e.Message);
    }
}
