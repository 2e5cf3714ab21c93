using AnomalyMoE.Runtime;

namespace AnomalyMoE.Tests.Cli;

/// <summary>What a command throws decides the exit code: the user's input 2, an interruption 130, a bug 1 with a report-it message.</summary>
public class CliExitCodeTests
{
    static (int Code, string Err) Guarded(Func<int> command)
    {
        var stderr = new StringWriter();
        var code = AnomalyMoE.Cli.Cli.Guarded(command, stderr);
        return (code, stderr.ToString());
    }

    [Fact]
    public void An_unexpected_exception_exits_1_asking_for_a_report_without_a_stack_trace()
    {
        var (code, err) = Guarded(() => throw new NullReferenceException("stand-in for a bug"));
        Assert.Equal(1, code);
        Assert.Contains("internal error (NullReferenceException): stand-in for a bug", err);
        Assert.Contains("please report it", err);
        if (Environment.GetEnvironmentVariable("AMOE_DEBUG") != "1") Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Argument_and_invalid_operation_exceptions_are_bugs_not_user_errors()
    {
        Assert.Equal(1, Guarded(() => throw new ArgumentException("bad argument")).Code);
        Assert.Equal(1, Guarded(() => throw new InvalidOperationException("bad state")).Code);
    }

    [Theory]
    [InlineData("kit")]
    [InlineData("native-runtime")]
    [InlineData("missing-file")]
    [InlineData("missing-folder")]
    [InlineData("damaged-file")]
    public void A_bad_value_or_user_file_exits_2_with_its_message(string kind)
    {
        Exception error = kind switch
        {
            "kit" => new AnomalyMoEException("--topk 9 is outside 1..4"),
            "native-runtime" => new NativeRuntimeException("The native torch runtime could not be loaded; run amoe doctor.", new DllNotFoundException("libtorch")),
            "missing-file" => new FileNotFoundException("Checkpoint or fixture file not found: /data/x.pth", "/data/x.pth"),
            "missing-folder" => new DirectoryNotFoundException("Parity fixture folder not found: /data/seed9"),
            _ => new InvalidDataException("'/data/model.onnx' is not a readable ONNX model: truncated"),
        };
        var (code, err) = Guarded(() => throw error);
        Assert.Equal(2, code);
        Assert.Equal($"error: {error.Message}", err.TrimEnd());
    }

    [Fact]
    public void A_cancellation_exits_130_and_a_normal_return_passes_through()
    {
        Assert.Equal(130, Guarded(() => throw new OperationCanceledException()).Code);
        Assert.Equal((0, ""), Guarded(() => 0));
    }
}
