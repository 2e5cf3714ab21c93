using System.Runtime.InteropServices;

namespace AnomalyMoE.Runtime;

/// <summary>
/// Device memory in use on GPU 0, read through NVML (<c>libnvidia-ml.so.1</c>, shipped with the NVIDIA driver).
/// TorchSharp 0.107 binds none of torch.cuda's memory statistics, so the peak is taken as the largest NVML reading:
/// libtorch's caching allocator keeps what it reserved, so a reading after each measured step holds that step's peak
/// (plus the CUDA context, and anything other processes hold on the device).
/// </summary>
public sealed class GpuMemoryProbe : IDisposable
{
    [StructLayout(LayoutKind.Sequential)]
    struct NvmlMemory
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }

    const string Nvml = "libnvidia-ml.so.1";
    [DllImport(Nvml, EntryPoint = "nvmlInit_v2")] static extern int NvmlInit();
    [DllImport(Nvml, EntryPoint = "nvmlShutdown")] static extern int NvmlShutdown();
    [DllImport(Nvml, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")] static extern int NvmlDeviceByIndex(uint index, out IntPtr device);
    [DllImport(Nvml, EntryPoint = "nvmlDeviceGetMemoryInfo")] static extern int NvmlMemoryInfo(IntPtr device, out NvmlMemory memory);

    readonly IntPtr device;

    GpuMemoryProbe(IntPtr device) => this.device = device;

    /// <summary>A probe of GPU 0, or null when NVML is not there (no NVIDIA driver) or reports an error.</summary>
    public static GpuMemoryProbe? TryOpen()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            if (NvmlInit() != 0) return null;
            if (NvmlDeviceByIndex(0, out var handle) != 0)
            {
                NvmlShutdown();
                return null;
            }
            return new GpuMemoryProbe(handle);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Largest reading of <see cref="Sample"/> so far, in bytes.</summary>
    public long PeakUsedBytes { get; private set; }

    /// <summary>Bytes in use on the device now; also raises <see cref="PeakUsedBytes"/>.</summary>
    public long Sample()
    {
        if (NvmlMemoryInfo(device, out var memory) != 0) return PeakUsedBytes;
        var used = (long)memory.Used;
        PeakUsedBytes = Math.Max(PeakUsedBytes, used);
        return used;
    }

    public void Dispose() => NvmlShutdown();
}
