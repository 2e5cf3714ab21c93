using TorchSharp;

namespace AnomalyMoE.Runtime;

/// <summary>Where tensors run. <see cref="Auto"/> picks CUDA when TorchSharp can see a GPU.</summary>
public enum DeviceChoice { Auto, Cpu, Cuda }

/// <summary>
/// Loads libtorch once with an error that says what is wrong and how to fix it, and resolves
/// the <c>--device</c> choice. Every computing entry point goes through here first.
/// </summary>
public static class TorchRuntime
{
    const string RequiredSymbol = "GLIBCXX_3.4.32";
    static readonly Lazy<Exception?> LoadError = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Makes sure the native library is loaded; throws <see cref="NativeRuntimeException"/> otherwise.</summary>
    public static void EnsureLoaded()
    {
        if (LoadError.Value is { } error) throw new NativeRuntimeException(Explain(error), error);
    }

    /// <summary>Resolves a device choice to a concrete TorchSharp device.</summary>
    public static torch.Device Resolve(DeviceChoice choice)
    {
        EnsureLoaded();
        return choice switch
        {
            DeviceChoice.Cpu => torch.CPU,
            DeviceChoice.Cuda when !torch.cuda.is_available() => throw new AnomalyMoEException(
                $"--device cuda was requested but CUDA is not available (TorchBackend={BuildFlavor.TorchBackend}): build with -p:TorchBackend=cuda, or with -p:TorchBackend=external and a CUDA libtorch on LD_LIBRARY_PATH, on a machine with an NVIDIA driver; or use --device cpu."),
            DeviceChoice.Cuda => torch.CUDA,
            _ => torch.cuda.is_available() ? torch.CUDA : torch.CPU,
        };
    }

    static Exception? TryLoad()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            using var probe = torch.zeros(1);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    static string Explain(Exception error)
    {
        var all = Flatten(error);
        bool libstdcxx = all.Contains(RequiredSymbol, StringComparison.Ordinal) || all.Contains("GLIBCXX", StringComparison.Ordinal)
                         || !SystemHasSymbol();
        var message = $"TorchSharp's native library (libtorch) could not be loaded (TorchBackend={BuildFlavor.TorchBackend}).";
        // A build without bundled binaries fails mostly for want of them: name each missing one and where it was looked for.
        if (BuildFlavor.ExternalTorch && OperatingSystem.IsLinux() && NativeLibraryProbe.DescribeMissing() is { Length: > 0 } missing)
            message += " " + missing;
        if (libstdcxx)
        {
            message += $" It needs libstdc++ with the symbol version {RequiredSymbol} (GCC 13 or newer), which this system lacks."
                       + " Fix: use the devcontainer (.devcontainer/), a newer distribution (Ubuntu 24.04, Debian 13),"
                       + " or on Debian 12 run `sudo bash .ci/ensure-native-runtime.sh` once.";
        }
        return message + " Underlying error: " + all;
    }

    static string Flatten(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x != null; x = x.InnerException) parts.Add(x.Message);
        return string.Join(" → ", parts);
    }

    static bool SystemHasSymbol()
    {
        foreach (var path in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" })
        {
            if (!File.Exists(path)) continue;
            try
            {
                var bytes = File.ReadAllBytes(path);
                var needle = System.Text.Encoding.ASCII.GetBytes(RequiredSymbol);
                if (bytes.AsSpan().IndexOf(needle) >= 0) return true;
            }
            catch (IOException) { }
        }
        return !OperatingSystem.IsLinux();
    }
}

/// <summary>The native torch runtime is missing or unusable; the message says how to fix it, so it is the user's to fix.</summary>
public sealed class NativeRuntimeException(string message, Exception inner) : AnomalyMoEException(message, inner);
