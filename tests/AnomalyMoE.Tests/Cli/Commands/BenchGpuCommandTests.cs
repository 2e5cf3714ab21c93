using System.Text.Json;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Tests.Training;

namespace AnomalyMoE.Tests.Cli.Commands;

// Its training check re-seeds and draws from libtorch's global generator (dropout), so it runs apart from the tests that
// draw from it too: in parallel with them, its four iterations' losses could come out of another order.
[Collection(EngineCollection.Name)]
public sealed class BenchGpuCommandTests
{
    static (int Code, string Out, string Err) Amoe(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = AnomalyMoE.Cli.Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void The_fixture_scale_check_on_cpu_writes_every_part_and_its_training_loss_falls()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("gpu.json");
        // The fewest iterations the check takes (two passes over its synthetic images) keep the test short.
        var (code, _, err) = Amoe("bench", "gpu", "--device", "cpu", "--scale", "fixture", "--fixture", SharedFixtures.Seed0,
            "--iters", "4", "--out", path, "--quiet");
        Assert.True(code == 0, err);

        var json = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        Assert.Equal("cpu", json.GetProperty("device").GetString());
        Assert.Equal("fixture", json.GetProperty("scale").GetString());
        Assert.True(json.GetProperty("passed").GetBoolean());

        var parity = json.GetProperty("parity");
        Assert.True(parity.GetProperty("passed").GetBoolean());
        Assert.Equal(0, parity.GetProperty("failed").GetArrayLength());
        Assert.True(parity.GetProperty("tensors").GetInt32() > 0);

        foreach (var precision in new[] { "fp32", "bf16" })
        {
            var step = json.GetProperty("step").GetProperty(precision);
            Assert.False(step.TryGetProperty("error", out var error), error.ToString());
            Assert.Equal(precision, step.GetProperty("precision").GetString());
            Assert.True(step.GetProperty("forward_ms").GetDouble() > 0);
            Assert.True(step.GetProperty("train_step_ms").GetDouble() > 0);
            Assert.Equal(JsonValueKind.Null, step.GetProperty("peak_gpu_used_mib").ValueKind);   // no NVML reading off CUDA
        }

        var training = json.GetProperty("training");
        Assert.Equal(4, training.GetProperty("iterations").GetInt32());
        Assert.Equal(4, training.GetProperty("losses").GetArrayLength());
        Assert.True(training.GetProperty("loss_fell").GetBoolean());
        Assert.True(training.GetProperty("last_window_mean_loss").GetDouble() < training.GetProperty("first_window_mean_loss").GetDouble());

        var encoders = json.GetProperty("encoders").EnumerateArray().ToList();
        Assert.Equal(["dinov2_vits14_reg4", "dinov2_vits14_reg4", "dinov2_vitb14_reg4", "dinov2_vitb14_reg4"],
            encoders.Select(e => e.GetProperty("model").GetString()));
        Assert.All(encoders, e => Assert.True(e.GetProperty("images_per_second").GetDouble() > 0, e.ToString()));
    }

    [Fact]
    public void An_unknown_scale_is_refused_naming_it()
    {
        using var temp = new TempDirectory();
        var (code, _, err) = Amoe("bench", "gpu", "--device", "cpu", "--scale", "huge", "--out", temp.Combine("gpu.json"));
        Assert.Equal(2, code);
        Assert.Contains("'huge'", err);
    }

    [Fact]
    public void A_folder_without_a_fixture_is_refused_naming_it()
    {
        using var temp = new TempDirectory();
        var (code, _, err) = Amoe("bench", "gpu", "--device", "cpu", "--scale", "fixture", "--fixture", temp.Path, "--out", temp.Combine("gpu.json"));
        Assert.Equal(2, code);
        Assert.Contains(temp.Path, err);
        Assert.False(File.Exists(temp.Combine("gpu.json")));
    }
}
