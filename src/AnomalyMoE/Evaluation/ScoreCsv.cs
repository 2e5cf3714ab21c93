using System.Globalization;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Evaluation;

/// <summary>
/// Reads a score file: a CSV with header <c>label,score</c> and one sample per line, label 0 (normal) or
/// 1 (anomalous), score a number (higher = more anomalous). Blank lines are ignored.
/// </summary>
public static class ScoreCsv
{
    public const string Header = "label,score";

    /// <exception cref="AnomalyMoEException">A missing file, a bad header, or a bad row (named by file and line).</exception>
    public static (float[] Scores, byte[] Labels) Read(string path)
    {
        if (!File.Exists(path)) throw new AnomalyMoEException($"Score file '{path}' not found.");
        var scores = new List<float>();
        var labels = new List<byte>();
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        var lineNumber = 0;
        var headerSeen = false;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (!headerSeen)
            {
                var header = string.Join(',', line.Split(',').Select(f => f.Trim().ToLowerInvariant()));
                if (header != Header)
                    throw new AnomalyMoEException($"{path}:{lineNumber}: header is '{line.Trim()}'; expected '{Header}'.");
                headerSeen = true;
                continue;
            }
            var fields = line.Split(',');
            if (fields.Length != 2)
                throw new AnomalyMoEException($"{path}:{lineNumber}: expected 2 fields (label,score), found {fields.Length}: '{line.Trim()}'.");
            var label = fields[0].Trim();
            if (label != "0" && label != "1")
                throw new AnomalyMoEException($"{path}:{lineNumber}: label '{label}' must be 0 (normal) or 1 (anomalous).");
            var scoreText = fields[1].Trim();
            if (!float.TryParse(scoreText, NumberStyles.Float, CultureInfo.InvariantCulture, out var score))
                throw new AnomalyMoEException($"{path}:{lineNumber}: score '{scoreText}' is not a number.");
            if (float.IsNaN(score))
                throw new AnomalyMoEException($"{path}:{lineNumber}: score is NaN; every score must be a number.");
            labels.Add(label == "1" ? (byte)1 : (byte)0);
            scores.Add(score);
        }
        if (!headerSeen) throw new AnomalyMoEException($"{path}: file is empty; expected the header '{Header}' and one line per sample.");
        return (scores.ToArray(), labels.ToArray());
    }

    /// <summary>Reads the file and computes AUROC, AP and F1-max; errors name the file.</summary>
    public static BinaryMetrics Evaluate(string path)
    {
        var (scores, labels) = Read(path);
        try
        {
            return BinaryMetrics.Compute(scores, labels);
        }
        catch (AnomalyMoEException e)
        {
            throw new AnomalyMoEException($"{path}: {e.Message}", e);
        }
    }
}
