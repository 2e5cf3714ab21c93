using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Parity;

/// <summary>A state-dict key and its tensor shape.</summary>
public sealed record CheckpointKey(string Name, long[] Shape)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// The key list of a reference checkpoint as recorded in <c>paper_keys.json</c> (shared/fixtures/official-parity):
/// <c>{"keys": [[name, [shape...]], ...], "total_parameters": N}</c>, and its comparison with a model's state dict.
/// </summary>
public static class CheckpointKeys
{
    /// <summary>Reads the key list; the error names the file.</summary>
    public static IReadOnlyList<CheckpointKey> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint key list not found: {path}", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.GetProperty("keys").EnumerateArray()
                .Select(e => new CheckpointKey(e[0].GetString()!, e[1].EnumerateArray().Select(d => d.GetInt64()).ToArray()))
                .ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"'{path}' is not a checkpoint key list ({{\"keys\": [[name, shape], ...]}}): {e.Message}", e);
        }
    }

    /// <summary>
    /// Every difference between <paramref name="stateDict"/> and <paramref name="reference"/>: keys missing from the
    /// model, keys the reference lacks, and shape mismatches. Empty when a checkpoint with these keys loads strictly.
    /// </summary>
    public static IReadOnlyList<string> Differences(IReadOnlyDictionary<string, Tensor> stateDict, IReadOnlyList<CheckpointKey> reference)
    {
        var differences = new List<string>();
        var referenceNames = reference.Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var key in reference)
        {
            if (!stateDict.TryGetValue(key.Name, out var tensor)) differences.Add($"missing in the model: {key.Name}");
            else if (!tensor.shape.SequenceEqual(key.Shape))
                differences.Add($"shape of {key.Name}: model [{string.Join(", ", tensor.shape)}], reference [{string.Join(", ", key.Shape)}]");
        }
        foreach (var name in stateDict.Keys.Where(k => !referenceNames.Contains(k)).Order(StringComparer.Ordinal))
            differences.Add($"not in the reference: {name}");
        return differences;
    }
}
