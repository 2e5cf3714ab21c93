using System.Text.Json;

namespace AnomalyMoE.Runtime;

/// <summary>How the kit's own state files (the weights manifest, the prepared-dataset marker) are serialised.</summary>
public static class JsonFiles
{
    /// <summary>Indented, camelCase property names: files people may open and read.</summary>
    public static JsonSerializerOptions Options { get; } = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
