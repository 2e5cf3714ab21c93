using System.Text.Json;
using AnomalyMoE.Cli.Commands;
using AnomalyMoE.Encoders;
using AnomalyMoE.Training;

namespace AnomalyMoE.Tests.Cli.Commands;

public sealed class BenchTrainCommandTests
{
    const long MiB = 1L << 20;

    static (int Code, string Out, string Err) Amoe(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = AnomalyMoE.Cli.Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    static JsonElement Json(TrainBenchmarkResult result) =>
        JsonDocument.Parse(JsonSerializer.Serialize(BenchTrainingCommands.TrainJson(result))).RootElement;

    [Fact]
    public void A_long_run_reports_rss_after_iteration_100_and_the_last_and_the_growth_per_100_iterations()
    {
        var result = new TrainBenchmarkResult("micro", 1000, 2, 40, 0.05, 900 * MiB,
            new Dictionary<int, long> { [100] = 500 * MiB, [1000] = 527 * MiB }, EncoderPrecision.BFloat16);
        var json = Json(result);
        Assert.Equal(1000, json.GetProperty("iterations").GetInt32());
        Assert.Equal("bf16", json.GetProperty("precision").GetString());
        Assert.Equal(900, json.GetProperty("peak_rss_mib").GetDouble(), 6);
        Assert.Equal(500, json.GetProperty("rss_at_100_mib").GetDouble(), 6);
        Assert.Equal(527, json.GetProperty("rss_at_end_mib").GetDouble(), 6);
        Assert.Equal(3, json.GetProperty("rss_growth_mib_per_100_iterations").GetDouble(), 6);   // 27 MiB over 900 iterations
    }

    [Fact]
    public void A_run_of_100_iterations_or_fewer_has_no_growth_figure()
    {
        var json = Json(new TrainBenchmarkResult("micro", 20, 2, 40, 0.05, 900 * MiB, new Dictionary<int, long> { [20] = 480 * MiB }));
        Assert.Equal(JsonValueKind.Null, json.GetProperty("rss_at_100_mib").ValueKind);
        Assert.Equal(480, json.GetProperty("rss_at_end_mib").GetDouble(), 6);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("rss_growth_mib_per_100_iterations").ValueKind);
        Assert.Equal("fp32", json.GetProperty("precision").GetString());
    }

    [Fact]
    public void Zero_iterations_are_refused_naming_the_option()
    {
        var (code, _, err) = Amoe("bench", "train", "--preset", "micro", "--iters", "0");
        Assert.Equal(2, code);
        Assert.Contains("--iters", err);
    }

    [Fact]
    public void An_unknown_precision_is_refused_naming_it()
    {
        var (code, _, err) = Amoe("bench", "train", "--preset", "micro", "--iters", "5", "--precision", "fp16");
        Assert.Equal(2, code);
        Assert.Contains("fp16", err);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("test")]
    [InlineData("predict")]
    [InlineData("quickstart")]
    [InlineData("bench", "train")]
    public void Engine_verbs_offer_precision_and_say_bf16_is_meant_for_cuda(params string[] verb)
    {
        var (code, output, _) = Amoe([.. verb, "--help"]);
        Assert.Equal(0, code);
        Assert.Contains("--precision", output);
        Assert.Contains("meant for CUDA", output);
    }
}
