using System.Text.Json;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Cli;

public class MetricsCommandTests
{
    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = AnomalyMoE.Cli.Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    static string WriteCsv(TempDirectory dir, string text)
    {
        var path = dir.Combine("scores.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Prints_auroc_ap_and_f1_max_as_one_json_object()
    {
        using var dir = new TempDirectory();
        var path = WriteCsv(dir, "label,score\n0,0.1\n0,0.4\n1,0.35\n1,0.8\n");

        var (code, output, _) = Run("metrics", "--scores", path);

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(0.75, json.RootElement.GetProperty("auroc").GetDouble(), 1e-12);
        Assert.Equal(0.8333333333333333, json.RootElement.GetProperty("ap").GetDouble(), 1e-12);
        Assert.Equal(0.8, json.RootElement.GetProperty("f1_max").GetDouble(), 1e-12);
    }

    [Fact]
    public void Accepts_spaces_blank_lines_and_exponent_notation()
    {
        using var dir = new TempDirectory();
        var path = WriteCsv(dir, " label , score \n0, 1e-3\n\n1 ,2.5E+1\n");

        var (code, output, _) = Run("metrics", "--scores", path);

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(1.0, json.RootElement.GetProperty("auroc").GetDouble());
    }

    [Theory]
    [InlineData("score,label\n0,0.1\n1,0.2\n", ":1:", "header")]
    [InlineData("label,score\n0,0.1\n2,0.2\n", ":3:", "label '2'")]
    [InlineData("label,score\n0,0.1\n1,abc\n", ":3:", "'abc' is not a number")]
    [InlineData("label,score\n0,0.1\n1,0.2,3\n", ":3:", "expected 2 fields")]
    [InlineData("label,score\n0,0.1\n1,NaN\n", ":3:", "NaN")]
    [InlineData("label,score\n0,0.1\n0,0.2\n", "scores.csv", "Only one class")]
    [InlineData("", "scores.csv", "empty")]
    public void Bad_file_is_a_clear_error_naming_the_file_and_line(string text, string where, string what)
    {
        using var dir = new TempDirectory();
        var path = WriteCsv(dir, text);

        var (code, output, error) = Run("metrics", "--scores", path);

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Contains(path + (where.StartsWith(':') ? where : ""), error);
        Assert.Contains(where, error);
        Assert.Contains(what, error);
    }

    [Fact]
    public void Missing_file_is_a_clear_error()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("absent.csv");

        var (code, _, error) = Run("metrics", "--scores", path);

        Assert.Equal(2, code);
        Assert.Contains("absent.csv", error);
        Assert.Contains("not found", error);
    }

    [Fact]
    public void Missing_scores_option_is_a_usage_error()
    {
        var (code, _, error) = Run("metrics");
        Assert.NotEqual(0, code);
        Assert.Contains("--scores", error);
    }
}

public class BenchMetricsCommandTests
{
    [Fact]
    public void Prints_n_and_median_seconds_as_json()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = AnomalyMoE.Cli.Cli.Run(["bench", "metrics", "--n", "5000", "--seed", "3", "--runs", "3"], stdout, stderr);

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout.ToString());
        var root = json.RootElement;
        Assert.Equal(5000, root.GetProperty("n").GetInt64());
        Assert.Equal(3, root.GetProperty("runs").GetInt32());
        Assert.True(root.GetProperty("auroc_ap_f1_seconds").GetDouble() > 0);
        Assert.Equal(3, root.GetProperty("auroc_ap_f1_run_seconds").GetArrayLength());
        Assert.True(root.GetProperty("pixel_with_aupro_seconds").GetDouble() > 0);
        Assert.InRange(root.GetProperty("auroc").GetDouble(), 0.5, 1.0);
    }

    [Fact]
    public void Same_seed_gives_the_same_synthetic_metrics()
    {
        string RunOnce()
        {
            var stdout = new StringWriter();
            AnomalyMoE.Cli.Cli.Run(["bench", "metrics", "--n", "3000", "--seed", "9", "--runs", "1", "--no-pixel"], stdout, new StringWriter());
            using var json = JsonDocument.Parse(stdout.ToString());
            return json.RootElement.GetProperty("auroc").GetRawText() + json.RootElement.GetProperty("ap").GetRawText();
        }

        Assert.Equal(RunOnce(), RunOnce());
    }

    [Fact]
    public void Too_small_n_is_a_clear_error()
    {
        var stderr = new StringWriter();
        var code = AnomalyMoE.Cli.Cli.Run(["bench", "metrics", "--n", "1"], new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains("--n 1", stderr.ToString());
    }
}
