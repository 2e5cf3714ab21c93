using System.Text.Json;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Tests.Training;

namespace AnomalyMoE.Tests.Cli.Commands;

/// <summary>README command one, shrunk: every family synthesised small, two training iterations.</summary>
[Collection(EngineCollection.Name)]
public class QuickstartCommandTests
{
    [Fact]
    public void QuickstartWritesItsReportFiguresRunAndBaseline()
    {
        using var dir = new TempDirectory();
        var output = dir.Combine("qs");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = AnomalyMoE.Cli.Cli.Run(["quickstart", "--out", output, "--size", "64", "--train", "4", "--test", "9", "--iters", "2", "--device", "cpu", "--quiet"], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());

        var markdown = File.ReadAllText(Path.Combine(output, "quickstart.md"));
        foreach (var section in new[] { "## AnomalyMoE (cpu-tiny)", "## Beside the PatchCore baseline", "## Image AUROC by anomaly level",
                     "## Image AUROC of each expert level fused alone", "## Time" })
            Assert.Contains(section, markdown);
        Assert.All(new[] { "loss.png", "image_auroc.png" }, f => Assert.True(new FileInfo(Path.Combine(output, f)).Length > 0, f));

        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "run", "reports", "metrics.json")));
        Assert.Equal(11, metrics.RootElement.GetProperty("categories").EnumerateObject().Count());   // every category of the five families
        Assert.Contains("PatchCore baseline mean", stdout.ToString());
    }
}
