using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using AnomalyMoE.Interactive;

namespace AnomalyMoE.Tests.Notebooks;

/// <summary>The committed notebooks: C#, no outputs, each names its amoe command and the deprecation note.</summary>
public partial class NotebookFilesTests
{
    public static TheoryData<string> All() => new(NotebookRunner.Notebooks());

    [Fact]
    public void The_seven_notebooks_are_present()
    {
        string[] expected = ["00-quickstart-teaching.ipynb", "01-industrial.ipynb", "02-logical.ipynb", "03-3d.ipynb", "04-medical.ipynb", "05-video.ipynb", "06-ablations.ipynb"];
        Assert.Equal(expected, NotebookRunner.Notebooks());
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Cells_carry_no_outputs_or_execution_counts(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(NotebookRunner.NotebookDirectory, name)));
        foreach (var cell in json.RootElement.GetProperty("cells").EnumerateArray())
        {
            if (cell.GetProperty("cell_type").GetString() != "code") continue;
            Assert.True(cell.GetProperty("outputs").GetArrayLength() == 0, $"{name}: a code cell has committed outputs; clear them (tools/clear-notebook-outputs.py).");
            Assert.True(cell.GetProperty("execution_count").ValueKind == JsonValueKind.Null, $"{name}: a code cell has an execution count.");
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Names_the_reproducing_command_and_the_deprecation(string name)
    {
        var text = File.ReadAllText(Path.Combine(NotebookRunner.NotebookDirectory, name));
        Assert.Contains("amoe ", text);
        Assert.Contains("dotnet/interactive", text);
        Assert.Contains("4163", text);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Every_code_cell_is_csharp(string name)
    {
        var document = NotebookRunner.Parse(Path.Combine(NotebookRunner.NotebookDirectory, name));
        Assert.NotEmpty(document.Elements);
        Assert.All(document.Elements.Where(e => e.KernelName != "markdown"), e => Assert.Equal("csharp", e.KernelName));
    }

    /// <summary>
    /// Each notebook loads the extension as the package that the Interactive project's build packs (its id and version as
    /// the project file sets them), not as a dll of a build folder.
    /// </summary>
    [Theory]
    [MemberData(nameof(All))]
    public void References_the_extension_package_the_build_packs(string name)
    {
        var project = Path.Combine(NotebookRunner.RepoRoot, "src", "AnomalyMoE.Interactive", "AnomalyMoE.Interactive.csproj");
        var id = Property(project, "PackageId") ?? throw new InvalidOperationException("No PackageId in the Interactive project.");
        var version = Property(project, "NotebookPackageVersion") ?? throw new InvalidOperationException("No NotebookPackageVersion in the Interactive project.");
        var references = NotebookRunner.Parse(Path.Combine(NotebookRunner.NotebookDirectory, name)).Elements
            .Where(e => e.KernelName == "csharp").SelectMany(e => ReferenceLine().Matches(e.Contents)).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal([$"nuget: {id}, {version}"], references);
    }

    [Fact]
    public void Building_the_cli_builds_the_extension()
    {
        var cli = XDocument.Load(Path.Combine(NotebookRunner.RepoRoot, "src", "AnomalyMoE.Cli", "AnomalyMoE.Cli.csproj"));
        Assert.Contains(cli.Descendants("ProjectReference"),
            r => ((string?)r.Attribute("Include"))?.Replace('\\', '/').EndsWith("AnomalyMoE.Interactive/AnomalyMoE.Interactive.csproj", StringComparison.Ordinal) == true);
    }

    /// <summary>A property's value from the project file, else from Directory.Build.props (last definition wins, as in MSBuild).</summary>
    static string? Property(string project, string name)
    {
        foreach (var file in new[] { project, Path.Combine(NotebookRunner.RepoRoot, "Directory.Build.props") })
        {
            var value = XDocument.Load(file).Descendants("PropertyGroup").Elements(name).Select(e => e.Value.Trim()).LastOrDefault();
            if (value is not null) return value;
        }
        return null;
    }

    /// <summary>A <c>#r "path"</c> line of a cell.</summary>
    [GeneratedRegex("#r\\s+\"([^\"]+)\"")]
    private static partial Regex ReferenceLine();
}
