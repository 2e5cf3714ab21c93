using AnomalyMoE.Evaluation;

namespace AnomalyMoE.Tests.Evaluation;

public class ConnectedRegionsTests
{
    static (int Count, int[] Labels) Label(string[] rows)
    {
        var mask = rows.SelectMany(r => r.Select(c => c == '#' ? (byte)1 : (byte)0)).ToArray();
        var labels = new int[mask.Length];
        return (ConnectedRegions.Label(mask, rows.Length, rows[0].Length, labels), labels);
    }

    [Fact]
    public void Pixels_touching_only_at_a_corner_are_one_region()
    {
        var (count, _) = Label(["#..", ".#.", "..#"]);
        Assert.Equal(1, count);
    }

    [Fact]
    public void Pixels_separated_by_a_gap_are_separate_regions_numbered_in_row_order()
    {
        var (count, labels) = Label(["#.#", "...", "##."]);
        Assert.Equal(3, count);
        Assert.Equal([1, 0, 2, 0, 0, 0, 3, 3, 0], labels);
    }

    [Fact]
    public void A_U_shape_is_one_region()
    {
        var (count, labels) = Label(["#.#", "#.#", "###"]);
        Assert.Equal(1, count);
        Assert.All(labels.Where(l => l != 0), l => Assert.Equal(1, l));
    }

    [Fact]
    public void An_empty_mask_has_no_regions()
    {
        var (count, labels) = Label(["...", "..."]);
        Assert.Equal(0, count);
        Assert.All(labels, l => Assert.Equal(0, l));
    }
}
