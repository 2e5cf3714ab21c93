namespace AnomalyMoE.Runtime;

/// <summary>Where one native library was found, or null when it was not.</summary>
public sealed record NativeLibraryLocation(string Library, string? Path);

/// <summary>
/// Looks for the native libraries TorchSharp needs (its glue <c>libLibTorchSharp.so</c> and libtorch) in the folders the
/// loader searches for a build without bundled binaries (<c>-p:TorchBackend=external</c>): each <c>LD_LIBRARY_PATH</c>
/// entry, the application folder and its <c>runtimes/&lt;rid&gt;/native</c>. The system's own library cache is searched by
/// the loader as well but cannot be listed, so a library reported missing here may still load from there.
/// </summary>
public static class NativeLibraryProbe
{
    /// <summary>What TorchSharp 0.107 loads on Linux before the first tensor: the glue and the CPU libtorch it links.</summary>
    public static IReadOnlyList<string> RequiredLibraries { get; } = ["libLibTorchSharp.so", "libtorch.so", "libtorch_cpu.so", "libc10.so"];

    /// <summary>What a CUDA libtorch adds; absent on a CPU-only libtorch.</summary>
    public static IReadOnlyList<string> CudaLibraries { get; } = ["libtorch_cuda.so", "libc10_cuda.so"];

    /// <summary>The folders searched, in order, without duplicates or empty entries.</summary>
    public static IReadOnlyList<string> SearchFolders(string? ldLibraryPath = null, string? appFolder = null)
    {
        ldLibraryPath ??= Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "";
        appFolder ??= AppContext.BaseDirectory;
        var folders = ldLibraryPath.Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        folders.Add(appFolder);
        folders.Add(System.IO.Path.Combine(appFolder, "runtimes", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "native"));
        return folders.Select(f => System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(f))).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The first place each of <paramref name="libraries"/> is found in <paramref name="folders"/>.</summary>
    public static IReadOnlyList<NativeLibraryLocation> Locate(IEnumerable<string> libraries, IReadOnlyList<string> folders) =>
        libraries.Select(lib => new NativeLibraryLocation(lib, folders.Select(f => System.IO.Path.Combine(f, lib)).FirstOrDefault(File.Exists))).ToList();

    /// <summary>
    /// One paragraph for the load error: which required libraries are missing and where they were looked for, and how to
    /// point the program at a libtorch (empty when every required library was found).
    /// </summary>
    public static string DescribeMissing(string? ldLibraryPath = null, string? appFolder = null)
    {
        var folders = SearchFolders(ldLibraryPath, appFolder);
        var missing = Locate(RequiredLibraries, folders).Where(l => l.Path is null).Select(l => l.Library).ToList();
        if (missing.Count == 0) return "";
        var searched = folders.Count == 0 ? "(none)" : string.Join(", ", folders);
        return $"Missing native libraries: {string.Join(", ", missing)}. Searched: {searched} (LD_LIBRARY_PATH, then the application folder; "
               + "the system library cache and TorchSharp's fallback, the NuGet packages folder, are searched too). This build brings no libtorch (TorchBackend=external): set LD_LIBRARY_PATH "
               + "to a folder holding libtorch (e.g. a PyTorch install's torch/lib, or the libtorch-cpu-linux-x64 NuGet package's "
               + "runtimes/linux-x64/native) and to TorchSharp's glue libLibTorchSharp.so built for that libtorch (README, \"Torch backends\").";
    }
}
