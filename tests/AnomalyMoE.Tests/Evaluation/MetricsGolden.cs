using System.Text.Json;

namespace AnomalyMoE.Tests.Evaluation;

/// <summary>Cases from golden/metrics_golden.json, made by golden/make_golden.py (scikit-learn and MVTec AD's PRO).</summary>
public static class MetricsGolden
{
    public sealed record BinaryCase(string Name, byte[] Labels, float[] Scores, double Auroc, double Ap, double F1Max);

    public sealed record AuproCase(string Name, int Count, int Height, int Width, float[] Scores, byte[] Masks, IReadOnlyDictionary<double, double> Aupro);

    static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Evaluation", "golden", "metrics_golden.json"))));

    public static IEnumerable<BinaryCase> Binary => Document.Value.RootElement.GetProperty("binary").EnumerateArray().Select(c => new BinaryCase(
        c.GetProperty("name").GetString()!,
        c.GetProperty("labels").EnumerateArray().Select(v => (byte)v.GetInt32()).ToArray(),
        c.GetProperty("scores").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray(),
        c.GetProperty("auroc").GetDouble(),
        c.GetProperty("ap").GetDouble(),
        c.GetProperty("f1_max").GetDouble()));

    public static IEnumerable<AuproCase> Aupro => Document.Value.RootElement.GetProperty("aupro").EnumerateArray().Select(c => new AuproCase(
        c.GetProperty("name").GetString()!,
        c.GetProperty("count").GetInt32(),
        c.GetProperty("height").GetInt32(),
        c.GetProperty("width").GetInt32(),
        c.GetProperty("scores").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray(),
        c.GetProperty("masks").EnumerateArray().Select(v => (byte)v.GetInt32()).ToArray(),
        c.GetProperty("aupro").EnumerateObject().ToDictionary(p => double.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture), p => p.Value.GetDouble())));

    public static TheoryData<string> BinaryNames => [.. Binary.Select(c => c.Name)];
    public static TheoryData<string> AuproNames => [.. Aupro.Select(c => c.Name)];
}
