using System.Text;
using AnomalyMoE.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Experts;

/// <summary>
/// The <see cref="GlobalMapKind.LayoutMemory"/> global map (a cpu-preset departure): a category's training normals kept as
/// their coarse layouts, the mean token map of the taps average-pooled to <c>grid × grid</c> cells. An image is compared
/// with the normal whose whole layout is nearest, so a missing, extra or swapped part, or a pairing no normal shows, moves
/// the cells it touches; each cell's distance to that normal is the map. Distances are taken after standardising every cell
/// channel by the normals' spread (with a floor, since a category may have a dozen normals), so a channel that never varies
/// in the normals does not dominate. A memory is nonparametric: nothing of it is trained, and it needs at least two normals.
/// A normal it holds is compared only with the normals outside its own sequence (<see cref="AnomalyMoE.Data.ImageSequences"/>:
/// itself, or its whole video clip), so the memory's own normals score as unseen normals do.
/// </summary>
public sealed class LayoutMemory : IDisposable
{
    /// <summary>The floor of a channel's spread, as a share of the spread of all channels of all cells.</summary>
    public const double SpreadFloor = NormalBank.SpreadFloor;

    readonly NormalBank bank;   // [N, cells, D]

    LayoutMemory(NormalBank bank, int grid)
    {
        this.bank = bank;
        Grid = grid;
    }

    /// <summary>Side of the pooled layout.</summary>
    public int Grid { get; }

    /// <summary>How many normals the memory holds.</summary>
    public int Count => bank.ImageKeys.Count;

    /// <summary>
    /// A memory of normal layouts <c>[N, grid², D]</c> (<see cref="Layouts"/>) with each image's <see cref="ImageKey"/> and,
    /// optionally, its sequence (<see cref="AnomalyMoE.Data.ImageSequences.Of"/>; by default each image is its own); the
    /// tensor is copied.
    /// </summary>
    public static LayoutMemory Build(Tensor layouts, IReadOnlyList<long> imageKeys, int grid, IReadOnlyList<int>? sequences = null)
    {
        if (layouts.dim() != 3 || layouts.shape[1] != (long)grid * grid)
            throw new AnomalyMoEException($"A layout memory of grid {grid} needs layouts [N, {grid * grid}, D]; got [{string.Join(", ", layouts.shape)}].");
        return new LayoutMemory(NormalBank.Build(layouts, imageKeys, sequences, "layout memory"), grid);
    }

    /// <summary>
    /// The layouts of a batch, <c>[B, grid², D]</c>: the channel-first token map <c>[B, D, h, w]</c> average-pooled to
    /// <c>grid × grid</c> cells in row-major order.
    /// </summary>
    public static Tensor Layouts(Tensor tokenMap, int grid)
    {
        using var scope = NewDisposeScope();
        var pooled = functional.adaptive_avg_pool2d(tokenMap, [grid, grid]);
        return pooled.flatten(2).transpose(1, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Per cell, the distance of each image's layout to its nearest normal's, <c>[B, 1, grid, grid]</c>. The nearest
    /// normal minimises the summed squared distance over all cells; an image the memory holds is compared only with the
    /// normals outside its sequence, so the memory's own normals score as unseen normals do (what calibration needs).
    /// </summary>
    /// <param name="layouts"><c>[B, grid², D]</c> from <see cref="Layouts"/>.</param>
    /// <param name="imageKeys">Each image's <see cref="ImageKey"/>.</param>
    public Tensor Map(Tensor layouts, IReadOnlyList<long> imageKeys)
    {
        if (layouts.dim() != 3 || layouts.shape[1] != bank.Rows.shape[1] || layouts.shape[2] != bank.Rows.shape[2])
            throw new AnomalyMoEException($"Layouts [{string.Join(", ", layouts.shape)}] do not match the memory's [N, {bank.Rows.shape[1]}, {bank.Rows.shape[2]}].");
        if (layouts.shape[0] != imageKeys.Count)
            throw new AnomalyMoEException($"Got {layouts.shape[0]} layouts but {imageKeys.Count} image keys.");
        using var scope = NewDisposeScope();
        var device = layouts.device;
        var query = bank.Standardize(layouts);                                                   // [B, cells, D]
        var cellDistances = (query.unsqueeze(1) - bank.Rows.unsqueeze(0)).pow(2).sum([3]);      // [B, N, cells]
        var total = cellDistances.sum([2]);                                                      // [B, N]
        var nearest = total.masked_fill(bank.OwnSequence(imageKeys), double.PositiveInfinity).argmin(1);   // [B]
        var cells = cellDistances.gather(1, nearest.view(-1, 1, 1).expand(-1, 1, cellDistances.shape[2])).squeeze(1);
        return cells.clamp_min(0).sqrt().view(-1, 1, Grid, Grid).to(device).MoveToOuterDisposeScope();
    }

    /// <summary>A stable 64-bit key of an image path (FNV-1a over its UTF-8 bytes), stored with the memory.</summary>
    public static long ImageKey(string path)
    {
        ulong hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(Path.GetFullPath(path)))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return unchecked((long)hash);
    }

    /// <summary>The memory as tensors to save (<see cref="FromTensors"/> reads them back).</summary>
    public Dictionary<string, Tensor> ToTensors() => new()
    {
        ["layouts"] = bank.Unstandardized(),
        ["image_keys"] = tensor(bank.ImageKeys.ToArray()),
        ["sequences"] = tensor(bank.Sequences.Select(s => (long)s).ToArray()),
    };

    /// <summary>A memory from saved <see cref="ToTensors"/>; <paramref name="source"/> names the file in errors.</summary>
    public static LayoutMemory FromTensors(IReadOnlyDictionary<string, Tensor> tensors, int grid, string source)
    {
        if (!tensors.TryGetValue("layouts", out var layouts) || !tensors.TryGetValue("image_keys", out var keys)
            || !tensors.TryGetValue("sequences", out var sequences))
            throw new AnomalyMoEException($"'{source}' is not a layout memory (it lacks 'layouts', 'image_keys' or 'sequences'); delete it to fit it again.");
        return Build(layouts, keys.data<long>().ToArray(), grid, sequences.data<long>().Select(s => (int)s).ToArray());
    }

    public void Dispose() => bank.Dispose();
}
