using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Runtime;

public class NativeLibraryProbeTests
{
    [Fact]
    public void A_missing_library_is_named_with_every_folder_searched()
    {
        using var app = new TempDirectory();
        using var lib = new TempDirectory();
        File.WriteAllBytes(Path.Combine(lib.Path, "libtorch.so"), []);
        File.WriteAllBytes(Path.Combine(lib.Path, "libc10.so"), []);

        var message = NativeLibraryProbe.DescribeMissing(ldLibraryPath: lib.Path, appFolder: app.Path);

        Assert.Contains("Missing native libraries: libLibTorchSharp.so, libtorch_cpu.so.", message);
        Assert.DoesNotContain("libtorch.so,", message);
        Assert.Contains(lib.Path, message);
        Assert.Contains(app.Path, message);
        Assert.Contains("LD_LIBRARY_PATH", message);
    }

    [Fact]
    public void Nothing_is_reported_when_every_library_is_found()
    {
        using var app = new TempDirectory();
        using var lib = new TempDirectory();
        File.WriteAllBytes(Path.Combine(app.Path, "libLibTorchSharp.so"), []);
        foreach (var name in new[] { "libtorch.so", "libtorch_cpu.so", "libc10.so" }) File.WriteAllBytes(Path.Combine(lib.Path, name), []);

        Assert.Equal("", NativeLibraryProbe.DescribeMissing(ldLibraryPath: lib.Path, appFolder: app.Path));
    }

    [Fact]
    public void Library_path_entries_come_before_the_application_folder()
    {
        using var app = new TempDirectory();
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        var folders = NativeLibraryProbe.SearchFolders($"{first.Path}:{second.Path}:", app.Path);
        Assert.Equal([first.Path, second.Path, app.Path], folders.Take(3));
    }
}
