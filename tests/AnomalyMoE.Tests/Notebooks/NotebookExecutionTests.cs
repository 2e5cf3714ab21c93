using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace AnomalyMoE.Tests.Notebooks;

/// <summary>
/// Every notebook runs top to bottom in a real C# kernel in the fast setting (<c>ANOMALYMOE_NOTEBOOK_FAST=1</c>), with no
/// cell error, and displays a metrics table whose AUROC cells are numbers in [0, 1], the full method's row in (0.5, 1].
/// </summary>
[Collection(NotebookCollection.Name)]
public partial class NotebookExecutionTests(ITestOutputHelper output)
{
    public static TheoryData<string> All() => new(NotebookRunner.Notebooks());

    [Theory]
    [MemberData(nameof(All))]
    public async Task Runs_headless_without_errors_and_shows_metrics(string name)
    {
        Environment.SetEnvironmentVariable("ANOMALYMOE_NOTEBOOK_FAST", "1");
        var runs = await NotebookRunner.RunAsync(Path.Combine(NotebookRunner.NotebookDirectory, name));
        foreach (var run in runs) output.WriteLine($"cell {run.Index}: {run.Seconds:0.0}s, {run.Outputs.Count} outputs");
        output.WriteLine($"total {runs.Sum(r => r.Seconds):0.0}s");
        var failed = runs.FirstOrDefault(r => r.Error is not null);
        Assert.True(failed is null, failed is null ? "" : $"{name}: cell {failed.Index} failed:\n{failed.Code}\n---\n{failed.Error}");

        var html = runs.SelectMany(r => r.Outputs).Where(v => v.MimeType == "text/html").Select(v => v.Value).ToList();
        var tables = html.Where(h => h.Contains("<table class=\"amoe-table\">") && h.Contains("I-AUROC")).ToList();
        Assert.True(tables.Count > 0, $"{name}: no metrics table (I-AUROC) was displayed.");
        var aurocs = tables.SelectMany(AurocCells).ToList();
        Assert.NotEmpty(aurocs);
        Assert.All(aurocs, a => Assert.InRange(a.Value, 0.0, 1.0));
        var method = aurocs.Where(a => a.Row is "AnomalyMoE (fused)" or "AnomalyMoE (full)").ToList();
        Assert.True(method.Count > 0, $"{name}: the metrics table has no 'AnomalyMoE (fused)' or 'AnomalyMoE (full)' row.");
        Assert.All(method, a => Assert.True(a.Value > 0.5 && a.Value <= 1, $"{name}: {a.Row} I-AUROC {a.Value} is not in (0.5, 1]."));
    }

    /// <summary>(row name, I-AUROC) of every row of an HTML metrics table.</summary>
    static IEnumerable<(string Row, double Value)> AurocCells(string html)
    {
        var headers = HeaderCell().Matches(html).Select(m => m.Groups[1].Value).ToList();
        int column = headers.IndexOf("I-AUROC");
        if (column < 0) yield break;
        foreach (Match row in Row().Matches(html))
        {
            var cells = Cell().Matches(row.Groups[1].Value).Select(m => m.Groups[1].Value).ToList();
            if (cells.Count <= column) continue;
            Assert.True(double.TryParse(cells[column], NumberStyles.Float, CultureInfo.InvariantCulture, out var value), $"I-AUROC cell '{cells[column]}' is not a number.");
            yield return (cells[0], value);
        }
    }

    [GeneratedRegex("<th>(.*?)</th>")] private static partial Regex HeaderCell();
    [GeneratedRegex("<tr>((?:<td>.*?</td>)+)</tr>")] private static partial Regex Row();
    [GeneratedRegex("<td>(.*?)</td>")] private static partial Regex Cell();
}

/// <summary>Notebooks run one at a time (each trains a model; the kernel and the environment switch are process-wide).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookCollection
{
    public const string Name = "notebooks";
}
