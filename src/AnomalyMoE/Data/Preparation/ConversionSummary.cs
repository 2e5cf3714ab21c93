using System.Text;
using System.Text.Json.Serialization;

namespace AnomalyMoE.Data.Preparation;

/// <summary>Images and masks written for one (dataset folder, category, split, defect).</summary>
public sealed record ConversionCount(string Dataset, string Category, string Split, string Defect, int Images, int Masks);

/// <summary>What a conversion wrote, counted per split and defect; printed after every run and kept in the completion marker.</summary>
public sealed class ConversionSummary
{
    readonly SortedDictionary<(string Dataset, string Category, string Split, string Defect), (int Images, int Masks)> counts = new();

    public ConversionSummary() { }

    [JsonConstructor]
    public ConversionSummary(IReadOnlyList<ConversionCount> counts)
    {
        foreach (var c in counts) this.counts[(c.Dataset, c.Category, c.Split, c.Defect)] = (c.Images, c.Masks);
    }

    public IReadOnlyList<ConversionCount> Counts =>
        counts.Select(kv => new ConversionCount(kv.Key.Dataset, kv.Key.Category, kv.Key.Split, kv.Key.Defect, kv.Value.Images, kv.Value.Masks)).ToList();

    [JsonIgnore] public int TotalImages => counts.Values.Sum(v => v.Images);
    [JsonIgnore] public int TotalMasks => counts.Values.Sum(v => v.Masks);

    public void AddImage(string dataset, string category, string split, string defect) => Bump(dataset, category, split, defect, 1, 0);

    public void AddMask(string dataset, string category, string split, string defect) => Bump(dataset, category, split, defect, 0, 1);

    /// <summary>Images of one split and defect, summed over categories (and datasets) when those are null.</summary>
    public int Images(string? category, string split, string defect, string? dataset = null) =>
        counts.Where(kv => (dataset == null || kv.Key.Dataset == dataset) && (category == null || kv.Key.Category == category)
                           && kv.Key.Split == split && kv.Key.Defect == defect).Sum(kv => kv.Value.Images);

    public int Masks(string? category, string split, string defect, string? dataset = null) =>
        counts.Where(kv => (dataset == null || kv.Key.Dataset == dataset) && (category == null || kv.Key.Category == category)
                           && kv.Key.Split == split && kv.Key.Defect == defect).Sum(kv => kv.Value.Masks);

    void Bump(string dataset, string category, string split, string defect, int images, int masks)
    {
        var key = (dataset, category, split, defect);
        counts.TryGetValue(key, out var v);
        counts[key] = (v.Images + images, v.Masks + masks);
    }

    /// <summary>A plain-text table: one line per category, split and defect, then totals per split and defect.</summary>
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{"dataset",-20} {"category",-22} {"split",-11} {"defect",-26} {"images",7} {"masks",7}");
        foreach (var c in Counts)
            sb.AppendLine($"{c.Dataset,-20} {c.Category,-22} {c.Split,-11} {c.Defect,-26} {c.Images,7} {c.Masks,7}");
        sb.AppendLine("totals per split and defect:");
        foreach (var g in Counts.GroupBy(c => (c.Dataset, c.Split, c.Defect)).OrderBy(g => g.Key))
            sb.AppendLine($"{g.Key.Dataset,-20} {"(all)",-22} {g.Key.Split,-11} {g.Key.Defect,-26} {g.Sum(c => c.Images),7} {g.Sum(c => c.Masks),7}");
        sb.Append($"total: {TotalImages} images, {TotalMasks} masks");
        return sb.ToString();
    }
}
