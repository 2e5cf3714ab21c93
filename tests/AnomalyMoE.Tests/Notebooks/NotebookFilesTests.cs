using System.Text.Json;

namespace AnomalyMoE.Tests.Notebooks;

/// <summary>The committed notebooks: C#, no outputs, each names its amoe command and the deprecation note.</summary>
public class NotebookFilesTests
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
}
