using AnomalyMoE.Runtime;
using AnomalyMoE.Training.Switches;
using TorchSharp;

namespace AnomalyMoE.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void Native_library_loads_and_computes()
    {
        TorchRuntime.EnsureLoaded();
        using var a = torch.ones(2, 3);
        using var b = torch.ones(3, 4);
        using var c = a.matmul(b);
        Assert.Equal(3f, c[1, 2].item<float>());
    }

    [Theory]
    [InlineData("auto", DeviceChoice.Auto)]
    [InlineData("CPU", DeviceChoice.Cpu)]
    [InlineData("cuda", DeviceChoice.Cuda)]
    [InlineData("gpu", DeviceChoice.Cuda)]
    public void Device_names_parse(string text, DeviceChoice expected) => Assert.Equal(expected, RunSwitches.Device.Parse(text));

    [Fact]
    public void Unknown_device_is_named_in_the_error()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => RunSwitches.Device.Parse("tpu"));
        Assert.Contains("--device 'tpu'", e.Message);
    }

    [Fact]
    public void Auto_resolves_to_cpu_without_a_gpu()
    {
        if (torch.cuda.is_available()) return;
        Assert.Equal(DeviceType.CPU, TorchRuntime.Resolve(DeviceChoice.Auto).type);
        Assert.Throws<AnomalyMoEException>(() => TorchRuntime.Resolve(DeviceChoice.Cuda));
    }
}
