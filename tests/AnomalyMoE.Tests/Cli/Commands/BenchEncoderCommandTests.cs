using AnomalyMoE.Runtime;
using System.CommandLine;
using System.Text.Json;
using AnomalyMoE.Cli.Commands;

namespace AnomalyMoE.Tests.Cli.Commands;

public sealed class BenchEncoderCommandTests
{
    static (int Code, string Output) Run(params string[] args)
    {
        var root = new RootCommand { BenchEncoderCommand.Create() };
        using var output = new StringWriter();
        var code = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = output, EnableDefaultExceptionHandler = false });
        return (code, output.ToString());
    }

    [Fact]
    public void Prints_json_with_throughput_and_matrix_kernel_share()
    {
        var (code, output) = Run("encoder", "--model", "tiny", "--size", "56", "--batch", "2", "--iters", "1");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal("dinov2_tiny_reg4", root.GetProperty("model").GetString());
        Assert.Equal(2, root.GetProperty("batch").GetInt32());
        Assert.True(root.GetProperty("images_per_s").GetDouble() > 0);
        var share = root.GetProperty("matrix_share").GetDouble();
        Assert.InRange(share, 0.0, 10.0);
        Assert.True(root.GetProperty("gemm_ms").GetDouble() > 0);
    }

    [Fact]
    public void Size_not_a_multiple_of_14_is_rejected_naming_it()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => Run("encoder", "--model", "tiny", "--size", "100", "--iters", "1"));
        Assert.Contains("100", e.Message);
    }
}
