using System.Diagnostics;
using System.Text.Json;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Notebooks;

/// <summary>
/// The kit in a real, out-of-process .NET Interactive kernel (dotnet-repl, pinned in .config/dotnet-tools.json), loaded as
/// the notebooks load it. In a kernel each <c>#r</c>'d assembly used to land in a load context of its own, so TorchSharp
/// was loaded twice and writing any tensor file threw; an in-process kernel inside the test host can never show that.
/// </summary>
public class RealKernelTests
{
    static readonly string RepoRoot = FindRepoRoot();

    static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AnomalyMoE.Research.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("The repository root (AnomalyMoE.Research.sln) was not found above the test folder.");
    }

    static string Cell(string source) => JsonSerializer.Serialize(new
    {
        cell_type = "code",
        metadata = new Dictionary<string, object> { ["dotnet_interactive"] = new { language = "csharp" } },
        source,
        outputs = Array.Empty<object>(),
        execution_count = (int?)null,
    });

    [Fact]
    public async Task A_tensor_file_written_in_the_kernel_reads_back_and_the_kit_loads_once()
    {
        using var work = new TempDirectory();
        var tensorPath = Path.Combine(work.Path, "probe.pth").Replace("\\", "/");
        var cells = new[]
        {
            "#r \"nuget: AnomalyMoE.Interactive, 1.0.0\"",
            "using TorchSharp; using AnomalyMoE.Parity;\nvar t = torch.arange(5).to_type(torch.ScalarType.Float32);",
            $"TorchFile.SaveTensors(new Dictionary<string, torch.Tensor> {{ [\"a\"] = t }}, \"{tensorPath}\");\n" +
            $"var back = TorchFile.LoadTensors(\"{tensorPath}\")[\"a\"];\n" +
            "var copies = AppDomain.CurrentDomain.GetAssemblies().Count(a => a.GetName().Name == \"TorchSharp\");\n" +
            "Console.WriteLine($\"PROBE sum={back.sum().item<float>()} torchsharp={copies}\");",
        };
        var notebook = Path.Combine(work.Path, "probe.ipynb");
        File.WriteAllText(notebook, "{\"cells\":[" + string.Join(",", cells.Select(Cell)) +
            "],\"metadata\":{\"kernelspec\":{\"display_name\":\".NET (C#)\",\"language\":\"C#\",\"name\":\".net-csharp\"}},\"nbformat\":4,\"nbformat_minor\":4}");
        var output = Path.Combine(work.Path, "out.ipynb");

        var start = new ProcessStartInfo("dotnet", ["tool", "run", "dotnet-repl", "--", "--run", notebook, "--exit-after-run",
            "--output-format", "ipynb", "--output-path", output])
        { WorkingDirectory = RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        var log = await stdout + await stderr;
        Assert.True(File.Exists(output), "dotnet-repl wrote no output notebook: " + log);
        var executed = File.ReadAllText(output);
        Assert.DoesNotContain("\"output_type\": \"error\"", executed.Replace("\"output_type\":\"error\"", "\"output_type\": \"error\""));
        Assert.Contains("PROBE sum=10 torchsharp=1", executed + log);
        Assert.Equal(0, process.ExitCode);
    }
}
