using AnomalyMoE.Runtime;
using System.Globalization;
using System.Text;

namespace AnomalyMoE.Training;

/// <summary>
/// A CSV of every loss component per iteration (<c>iteration,lr,&lt;component&gt;...</c>), appended and
/// flushed as training goes. On resume, rows after the checkpoint's iteration are dropped first, so the log
/// of a resumed run equals the log of an uninterrupted one.
/// </summary>
public sealed class LossLog : IDisposable
{
    readonly StreamWriter writer;
    readonly string[] columns;

    LossLog(StreamWriter writer, string[] columns)
    {
        this.writer = writer;
        this.columns = columns;
    }

    public string Path { get; private init; } = "";

    /// <summary>Opens (or creates) the log; keeps only rows with iteration &lt; <paramref name="keepBefore"/>.</summary>
    public static LossLog Open(string path, IReadOnlyList<string> components, int keepBefore = 0)
    {
        var columns = new[] { "iteration", "lr" }.Concat(components).ToArray();
        var header = string.Join(',', columns);
        var kept = new List<string>();
        if (keepBefore > 0 && File.Exists(path))
        {
            var lines = File.ReadAllLines(path);
            if (lines.Length > 0 && lines[0] != header)
                throw new InvalidDataException($"Loss log '{path}' has columns '{lines[0]}', expected '{header}'.");
            foreach (var line in lines.Skip(1))
            {
                var first = line.Split(',', 2)[0];
                if (int.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out var it) && it < keepBefore) kept.Add(line);
            }
        }
        AtomicFile.WriteText(path, string.Concat(new[] { header }.Concat(kept).Select(line => line + Environment.NewLine)));
        var writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
        return new LossLog(writer, columns) { Path = path };
    }

    public void Append(int iteration, double learningRate, IReadOnlyDictionary<string, double> values)
    {
        var sb = new StringBuilder();
        sb.Append(iteration.ToString(CultureInfo.InvariantCulture)).Append(',').Append(learningRate.ToString("R", CultureInfo.InvariantCulture));
        foreach (var c in columns.Skip(2))
        {
            sb.Append(',');
            if (values.TryGetValue(c, out var v)) sb.Append(v.ToString("R", CultureInfo.InvariantCulture));
        }
        writer.WriteLine(sb.ToString());
        writer.Flush();
    }

    /// <summary>Reads a loss log back as column → values (for plots and reports).</summary>
    public static Dictionary<string, List<double>> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new InvalidDataException($"Loss log '{path}' is empty.");
        var header = lines[0].Split(',');
        var result = header.ToDictionary(h => h, _ => new List<double>());
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            for (int i = 0; i < header.Length && i < cells.Length; i++)
                result[header[i]].Add(cells[i].Length == 0 ? double.NaN : double.Parse(cells[i], CultureInfo.InvariantCulture));
        }
        return result;
    }

    public void Dispose() => writer.Dispose();
}
