using AnomalyMoE.Runtime;
using System.CommandLine;
using AnomalyMoE.Cli.Commands;

namespace AnomalyMoE.Tests.Cli;

public class BenchResNetCommandTests
{
    static int Invoke(string args, StringWriter output)
    {
        var root = new RootCommand { BenchResNetCommand.Create() };
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = output, EnableDefaultExceptionHandler = false });
    }

    [Fact]
    public void Reports_images_per_second_for_features_and_tokens()
    {
        using var output = new StringWriter();
        Assert.Equal(0, Invoke("resnet --batch 1 --size 64 --iterations 1 --warmup 0", output));
        var text = output.ToString();
        Assert.Contains("pooled 512-d features:", text);
        Assert.Contains("token maps (2 layers × 384):", text);
        Assert.Contains("images/s", text);
    }

    [Fact]
    public void Bad_batch_size_is_named()
    {
        using var output = new StringWriter();
        var e = Assert.Throws<AnomalyMoEException>(() => Invoke("resnet --batch 0", output));
        Assert.Contains("--batch", e.Message);
    }
}
