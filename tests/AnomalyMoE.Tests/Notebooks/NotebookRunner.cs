using System.Diagnostics;
using System.Text.RegularExpressions;
using AnomalyMoE.Interactive;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;

namespace AnomalyMoE.Tests.Notebooks;

/// <summary>What one cell produced: its displayed values (by MIME type) and its error, if any.</summary>
public sealed record CellRun(int Index, string Code, IReadOnlyList<FormattedValue> Outputs, string? Error, double Seconds);

/// <summary>
/// Runs a .ipynb top to bottom in an in-process .NET Interactive C# kernel, the way a notebook front end does:
/// parse with Microsoft.DotNet.Interactive.Documents, submit each C# code cell, collect displayed values and errors.
/// The notebooks' <c>#r "nuget: AnomalyMoE.Interactive, …"</c> is replaced by a <c>#r</c> of the assembly the tests built
/// (already loaded in the test host, so this checks the cells, not how a real kernel loads the package).
/// </summary>
public static partial class NotebookRunner
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string NotebookDirectory => Path.Combine(RepoRoot, "notebooks");

    public static IReadOnlyList<string> Notebooks() =>
        Directory.GetFiles(NotebookDirectory, "*.ipynb").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public static InteractiveDocument Parse(string path) => Notebook.Parse(File.ReadAllText(path), new KernelInfoCollection { new("csharp", aliases: ["c#", "C#"]) });

    /// <summary>
    /// Runs the notebook out of process in a real .NET Interactive kernel — dotnet-repl, pinned in
    /// <c>.config/dotnet-tools.json</c> — exactly as a user's front end loads it (the <c>#r "nuget: …"</c> line included),
    /// with <paramref name="environment"/> set for the kernel, and reads every cell's outputs back from the executed notebook.
    /// </summary>
    public static async Task<IReadOnlyList<CellRun>> RunInRealKernelAsync(string path, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var outputPath = Path.Combine(Path.GetTempPath(), "amoe-tests", $"{Path.GetFileNameWithoutExtension(path)}-{Guid.NewGuid():N}.ipynb");
        Directory.CreateDirectory(Path.GetDirectoryName(outputPath)!);
        var start = new ProcessStartInfo("dotnet", ["tool", "run", "dotnet-repl", "--", "--run", path, "--exit-after-run",
            "--output-format", "ipynb", "--output-path", outputPath])
        { WorkingDirectory = RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet-repl did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var cancel = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{Path.GetFileName(path)} did not finish in dotnet-repl within {timeout.TotalMinutes:0} min.");
            }
        }
        var log = await stdout + await stderr;
        if (!File.Exists(outputPath))
            throw new InvalidOperationException($"dotnet-repl wrote no executed notebook for {Path.GetFileName(path)} (exit {process.ExitCode}): {log}");
        try
        {
            var document = Parse(outputPath);
            var runs = new List<CellRun>();
            int index = 0;
            foreach (var element in document.Elements)
            {
                index++;
                if (element.KernelName is not ("csharp" or "C#" or "c#")) continue;
                var outputs = new List<FormattedValue>();
                string? error = null;
                foreach (var output in element.Outputs)
                {
                    switch (output)
                    {
                        case ErrorElement e: error ??= $"{e.ErrorName}: {e.ErrorValue}"; break;
                        case DisplayElement d: outputs.AddRange(d.Data.Select(kv => new FormattedValue(kv.Key, Text(kv.Value)))); break;
                        case ReturnValueElement r: outputs.AddRange(r.Data.Select(kv => new FormattedValue(kv.Key, Text(kv.Value)))); break;
                        case TextElement t when t.Name == "stderr" && t.Text.Contains("Exception", StringComparison.Ordinal): error ??= t.Text; break;
                        case TextElement t: outputs.Add(new FormattedValue("text/plain", t.Text)); break;
                    }
                }
                runs.Add(new CellRun(index, element.Contents, outputs, error, 0));
                Dump(path, index, outputs);
            }
            if (process.ExitCode != 0 && runs.All(r => r.Error is null))
                runs.Add(new CellRun(index + 1, "(dotnet-repl)", [], $"dotnet-repl exited with {process.ExitCode}: {log}", 0));
            if (runs.Count > 0) runs[^1] = runs[^1] with { Seconds = clock.Elapsed.TotalSeconds };
            return runs;
        }
        finally
        {
            File.Delete(outputPath);
        }
    }

    // An executed notebook's output data is a string or, as Jupyter stores it, a list of lines.
    static string Text(object? value) => value switch
    {
        null => "",
        string text => text,
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Array } lines => string.Concat(lines.EnumerateArray().Select(l => l.GetString())),
        System.Text.Json.JsonElement element => element.ValueKind == System.Text.Json.JsonValueKind.String ? element.GetString() ?? "" : element.GetRawText(),
        System.Collections.IEnumerable lines => string.Concat(lines.Cast<object?>().Select(l => l?.ToString())),
        _ => value.ToString() ?? "",
    };

    /// <summary>Runs every C# code cell; stops at the first failing cell.</summary>
    public static async Task<IReadOnlyList<CellRun>> RunAsync(string path, TimeSpan? cellTimeout = null)
    {
        var document = Parse(path);
        using var kernel = new CSharpKernel().UseKernelHelpers().UseValueSharing();
        var extension = typeof(AnomalyMoENotebook).Assembly.Location;
        var runs = new List<CellRun>();
        int index = 0;
        foreach (var element in document.Elements)
        {
            index++;
            if (element.KernelName is not ("csharp" or "C#" or "c#")) continue;
            var code = ReferenceLine().Replace(element.Contents, $"#r \"{extension}\"");
            var clock = Stopwatch.StartNew();
            var result = await kernel.SendAsync(new SubmitCode(code)).WaitAsync(cellTimeout ?? TimeSpan.FromMinutes(10));
            var outputs = new List<FormattedValue>();
            string? error = null;
            foreach (var e in result.Events)
            {
                switch (e)
                {
                    case ErrorProduced produced: error ??= produced.Message; break;
                    case DisplayEvent display: outputs.AddRange(display.FormattedValues); break;
                    case CommandFailed failed: error = failed.Message + (failed.Exception is { } x ? "\n" + x : ""); break;
                }
            }
            runs.Add(new CellRun(index, element.Contents, outputs, error, clock.Elapsed.TotalSeconds));
            Dump(path, index, outputs);
            if (error is not null) break;
        }
        return runs;
    }

    /// <summary>
    /// With <c>ANOMALYMOE_NOTEBOOK_DUMP</c> set to a folder, writes each displayed PNG and each chart's HTML there
    /// (<c>&lt;notebook&gt;-cell&lt;n&gt;-&lt;k&gt;.png|html</c>: images, charts, tables) so a person can look at what a headless run showed.
    /// </summary>
    static void Dump(string notebook, int cell, IReadOnlyList<FormattedValue> outputs)
    {
        var folder = Environment.GetEnvironmentVariable("ANOMALYMOE_NOTEBOOK_DUMP");
        if (string.IsNullOrEmpty(folder)) return;
        Directory.CreateDirectory(folder);
        var stem = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(notebook)}-cell{cell:00}");
        int k = 0;
        foreach (var value in outputs.Where(v => v.MimeType == "text/html"))
        {
            k++;
            foreach (Match png in EmbeddedPng().Matches(value.Value)) File.WriteAllBytes($"{stem}-{k}.png", Convert.FromBase64String(png.Groups[1].Value));
            if (value.Value.Contains("plotly", StringComparison.OrdinalIgnoreCase) || value.Value.Contains("amoe-table", StringComparison.Ordinal)) File.WriteAllText($"{stem}-{k}.html", value.Value);
        }
        foreach (var value in outputs.Where(v => v.MimeType == "text/plain")) File.AppendAllText($"{stem}.txt", value.Value + "\n");
    }

    [GeneratedRegex("data:image/png;base64,([A-Za-z0-9+/=]+)")]
    private static partial Regex EmbeddedPng();

    /// <summary>The notebooks' <c>#r</c> of the extension package, whatever version it names.</summary>
    [GeneratedRegex("#r\\s+\"nuget:\\s*AnomalyMoE\\.Interactive\\s*,[^\"]*\"")]
    private static partial Regex ReferenceLine();

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AnomalyMoE.Research.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"The repository root (AnomalyMoE.Research.sln) is not above {AppContext.BaseDirectory}.");
    }
}
