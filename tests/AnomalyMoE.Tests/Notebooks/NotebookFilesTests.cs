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
    /// The <c>#r</c> of each notebook names the Interactive project's Release output (assembly name, configuration and target
    /// framework as the project files set them; no runtime folder), the build that README command one makes.
    /// </summary>
    [Theory]
    [MemberData(nameof(All))]
    public void References_the_release_build_of_the_extension(string name)
    {
        var project = Path.Combine(NotebookRunner.RepoRoot, "src", "AnomalyMoE.Interactive", "AnomalyMoE.Interactive.csproj");
        var assembly = Property(project, "AssemblyName") ?? Path.GetFileNameWithoutExtension(project);
        var framework = Property(project, "TargetFramework") ?? throw new InvalidOperationException("No TargetFramework in the project or Directory.Build.props.");
        Assert.Equal(typeof(AnomalyMoENotebook).Assembly.GetName().Name, assembly);
        if (Property(project, "RuntimeIdentifier") is not null)
            Assert.True(Property(project, "AppendRuntimeIdentifierToOutputPath") == "false", "The Interactive project sets a RuntimeIdentifier, so its output path must leave it out.");
        var expected = Path.Combine(Path.GetDirectoryName(project)!, "bin", "Release", framework, assembly + ".dll");

        var references = NotebookRunner.Parse(Path.Combine(NotebookRunner.NotebookDirectory, name)).Elements
            .SelectMany(e => ReferenceLine().Matches(e.Contents)).Select(m => m.Groups[1].Value)
            .Where(r => r.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.Equal(expected, Path.GetFullPath(Path.Combine(NotebookRunner.NotebookDirectory, r))));
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
