using System.Text.RegularExpressions;

namespace AnomalyMoE.Tests.Engine;

/// <summary>
/// Training/ and Evaluation/ do not depend on each other, and neither depends on Engine/, which joins them (docs/engine.md,
/// Layout). Read from the sources: a namespace named in a using or a qualified name, or a top-level type of the other folder
/// named in code or in a cref.
/// </summary>
public partial class LayeringTests
{
    [Theory]
    [InlineData("Evaluation", "Training")]
    [InlineData("Training", "Evaluation")]
    [InlineData("Training", "Engine")]
    [InlineData("Evaluation", "Engine")]
    public void A_layer_does_not_name_the_other(string from, string to)
    {
        var references = References(LibraryFolder(from), to);
        Assert.True(references.Count == 0, $"{from}/ refers to {to}/:\n" + string.Join("\n", references));
    }

    [Fact]
    public void The_scan_finds_a_reference_when_there_is_one()
    {
        var folder = Directory.CreateTempSubdirectory("layering-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "A.cs"), "namespace AnomalyMoE.Evaluation;\n/// <see cref=\"TrainingPreset\"/>\npublic sealed class A { }\n");
            File.WriteAllText(Path.Combine(folder, "B.cs"), "namespace AnomalyMoE.Evaluation;\n// TrainingPreset in a comment is prose.\npublic sealed class B { string s = \"use TrainingPreset\"; int x = Training.AnomalyMoETrainer.Z; }\n");
            var references = References(folder, "Training");
            Assert.Equal(2, references.Count);
            Assert.Contains(references, r => r.Contains("A.cs:2"));
            Assert.Contains(references, r => r.Contains("B.cs:3"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    static List<string> References(string folder, string target)
    {
        var types = TopLevelTypes(LibraryFolder(target));
        var word = new Regex($@"\b(?:{string.Join("|", types.Select(Regex.Escape))})\b");
        var qualified = new Regex($@"\b(?:AnomalyMoE\.)?{target}\.[A-Z]|using\s+AnomalyMoE\.{target}\b");
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories))
        {
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                var doc = line.TrimStart().StartsWith("///", StringComparison.Ordinal);
                // Prose (comments, messages) may name anything; only a doc comment's crefs and the code are references.
                var text = doc ? string.Join(" ", Cref().Matches(line).Select(m => m.Groups[1].Value)) : StripComment(StringLiteral().Replace(line, "\"\""));
                if (text.StartsWith("namespace ", StringComparison.Ordinal)) continue;
                if (qualified.IsMatch(text) || (types.Count > 0 && word.IsMatch(text)))
                    found.Add($"{Path.GetFileName(file)}:{i + 1}: {line.Trim()}");
            }
        }
        return found;
    }

    /// <summary>Types declared at the top of a file (file-scoped namespaces: at column 0).</summary>
    static List<string> TopLevelTypes(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
                .SelectMany(File.ReadAllLines)
                .Select(l => Declaration().Match(l))
                .Where(m => m.Success)
                .Select(m => m.Groups[1].Value)
                .Distinct()
                .ToList()
            : [];

    static string StripComment(string line)
    {
        var at = line.IndexOf("//", StringComparison.Ordinal);
        return at < 0 ? line : line[..at];
    }

    static string LibraryFolder(string name) => Path.Combine(RepoRoot(), "src", "AnomalyMoE", name);

    static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AnomalyMoE.Research.sln"))) return dir.FullName;
        throw new InvalidOperationException($"The repository root (AnomalyMoE.Research.sln) is not above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"^(?:public |internal )?(?:(?:static|sealed|abstract|readonly|partial) )*(?:class|record|struct|interface|enum)(?: struct| class)? +([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Declaration();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""")]
    private static partial Regex StringLiteral();

    [GeneratedRegex("cref=\"([^\"]*)\"")]
    private static partial Regex Cref();
}
