using System.Globalization;
using System.Text.RegularExpressions;
using AnomalyMoE.Synthetic;
using AnomalyMoE.Tests.Support;
using Xunit.Abstractions;

namespace AnomalyMoE.Tests.Notebooks;

/// <summary>
/// Every notebook runs top to bottom out of process in a real .NET Interactive kernel (dotnet-repl), loading the kit as a
/// user's notebook does, in the fast setting (<c>ANOMALYMOE_NOTEBOOK_FAST=1</c>, a fresh
/// <c>ANOMALYMOE_NOTEBOOK_WORK</c> folder), with no cell error, and displays a metrics table whose AUROC cells are numbers in [0, 1], with an AnomalyMoE row whose
/// mean image AUROC is a finite number in [0, 1] and the PatchCore baseline's pixel AUROC in (0.5, 1], and shows each of
/// its domain's views (<see cref="DomainViews"/>).
/// </summary>
[Collection(NotebookCollection.Name)]
public partial class NotebookExecutionTests(ITestOutputHelper output)
{
    public static TheoryData<string> All() => new(NotebookRunner.Notebooks());

    /// <summary>The <c>NotebookView</c> ids each notebook must display (its domain's tables, charts and galleries).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> DomainViews = new Dictionary<string, string[]>
    {
        ["00-quickstart-teaching.ipynb"] = ["encoder-taps", "expert-maps", "fused-vs-levels"],
        ["01-industrial.ipynb"] = ["per-category-table", "per-category-bars", "pixel-metrics", "worst-errors"],
        ["02-logical.ipynb"] = ["logical-vs-structural", "auc-spro", "expert-attribution", "logical-level-maps"],
        ["03-3d.ipynb"] = ["rgb-and-depth", "rgb-depth-results"],
        ["04-medical.ipynb"] = ["medical-slices", "per-subset", "label-only", "sensitivity-at-specificity"],
        ["05-video.ipynb"] = ["frame-auroc", "clip-timeline", "top-frame"],
        ["06-ablations.ipynb"] = ["job-array"],
    };

    /// <summary>The notebooks that train one unified model on every category of their family, and the view that lists them.</summary>
    public static readonly IReadOnlyDictionary<string, (string View, string Family)> UnifiedNotebooks = new Dictionary<string, (string, string)>
    {
        ["01-industrial.ipynb"] = ("per-category-table", SyntheticFamilies.Industrial),
        ["04-medical.ipynb"] = ("per-subset", SyntheticFamilies.Medical),
    };

    [Fact]
    public void Every_notebook_lists_its_domain_views() => Assert.Equal(NotebookRunner.Notebooks().Order(), DomainViews.Keys.Order());

    [Theory]
    [MemberData(nameof(All))]
    public async Task Runs_headless_without_errors_and_shows_metrics(string name)
    {
        // A fresh work folder: the notebooks load finished runs from earlier sessions, and the test must train.
        using var work = new TempDirectory();
        var environment = new Dictionary<string, string> { ["ANOMALYMOE_NOTEBOOK_FAST"] = "1", ["ANOMALYMOE_NOTEBOOK_WORK"] = work.Path };
        var runs = await NotebookRunner.RunInRealKernelAsync(Path.Combine(NotebookRunner.NotebookDirectory, name), environment, TimeSpan.FromMinutes(10));
        foreach (var run in runs) output.WriteLine($"cell {run.Index}: {run.Seconds:0.0}s, {run.Outputs.Count} outputs");
        output.WriteLine($"total {runs.Sum(r => r.Seconds):0.0}s");
        var failed = runs.FirstOrDefault(r => r.Error is not null);
        Assert.True(failed is null, failed is null ? "" : $"{name}: cell {failed.Index} failed:\n{failed.Code}\n---\n{failed.Error}");

        var html = runs.SelectMany(r => r.Outputs).Where(v => v.MimeType == "text/html").Select(v => v.Value).ToList();
        foreach (var view in DomainViews[name])
        {
            var shown = html.FirstOrDefault(h => h.Contains($"<section class=\"amoe-view\" data-view=\"{view}\">"));
            Assert.True(shown is not null, $"{name}: the view '{view}' was not displayed.");
            Assert.True(shown.Contains("<img src=\"data:image/png;base64,") || shown.Contains("<table class=\"amoe-table\">") || shown.Contains("<pre>"),
                $"{name}: the view '{view}' holds no picture, table or script.");
        }
        if (UnifiedNotebooks.TryGetValue(name, out var unified))
        {
            var listing = html.First(h => h.Contains($"<section class=\"amoe-view\" data-view=\"{unified.View}\">"));
            Assert.All(SyntheticFamilies.Categories(unified.Family), c => Assert.True(listing.Contains(c.Name),
                $"{name}: the view '{unified.View}' does not show the category '{c.Name}' of the unified model."));
        }
        var tables = html.Where(h => h.Contains("<table class=\"amoe-table\">") && h.Contains("I-AUROC")).ToList();
        Assert.True(tables.Count > 0, $"{name}: no metrics table (I-AUROC) was displayed.");
        var imageAurocs = tables.SelectMany(t => Cells(t, "I-AUROC")).ToList();
        var pixelAurocs = tables.SelectMany(t => Cells(t, "P-AUROC")).ToList();
        Assert.NotEmpty(imageAurocs);
        Assert.All(imageAurocs.Concat(pixelAurocs), a => Assert.InRange(a.Value, 0.0, 1.0));
        // AnomalyMoE's mean image AUROC must be a real number (a NaN or a missing cell means scores or labels went wrong);
        // the fast setting trains it for three iterations on 64-px images, so its value is not held to a bound above chance.
        var anomalyMoE = imageAurocs.Where(a => a.Row is "AnomalyMoE (fused)" or "AnomalyMoE (full)").ToList();
        Assert.True(anomalyMoE.Count > 0, $"{name}: the metrics table has no 'AnomalyMoE (fused)' or 'AnomalyMoE (full)' row with an image AUROC.");
        Assert.All(anomalyMoE, a => Assert.True(double.IsFinite(a.Value) && a.Value is >= 0 and <= 1,
            $"{name}: {a.Row} I-AUROC {a.Value} is not a finite number in [0, 1]."));
        // The PatchCore baseline's pixel AUROC on the same data, encoder and map post-processing checks that maps, ground
        // truth and metrics line up: pixel AUROC, because the image AUROC of ten tiny test images is too noisy to bound.
        var baseline = pixelAurocs.Where(a => a.Row == "PatchCore baseline").ToList();
        Assert.True(baseline.Count > 0, $"{name}: the metrics table has no 'PatchCore baseline' row with a pixel AUROC.");
        Assert.All(baseline, a => Assert.True(a.Value > 0.5 && a.Value <= 1, $"{name}: {a.Row} P-AUROC {a.Value} is not in (0.5, 1]."));
    }

    /// <summary>(row name, value) of one column of an HTML metrics table, for the rows where the cell is not empty.</summary>
    static IEnumerable<(string Row, double Value)> Cells(string html, string header)
    {
        var headers = HeaderCell().Matches(html).Select(m => m.Groups[1].Value).ToList();
        int column = headers.IndexOf(header);
        if (column < 0) yield break;
        foreach (Match row in Row().Matches(html))
        {
            var cells = Cell().Matches(row.Groups[1].Value).Select(m => m.Groups[1].Value).ToList();
            if (cells.Count <= column || cells[column].Length == 0) continue;
            Assert.True(double.TryParse(cells[column], NumberStyles.Float, CultureInfo.InvariantCulture, out var value), $"{header} cell '{cells[column]}' is not a number.");
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
