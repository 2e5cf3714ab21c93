using AnomalyMoE.Data;
using AnomalyMoE.Evaluation;

namespace AnomalyMoE.Tests.Evaluation;

public class RegionSamplesTests
{
    static ImageRecord Record(string defect, string? level) => new($"/d/{defect}.png", "synth", "box", DatasetSplit.Test, defect, null, level);

    [Fact]
    public void Each_connected_region_of_a_mask_is_one_sPRO_region_and_levels_name_the_LOCO_kind()
    {
        const int side = 4;
        byte[] twoBlobs = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1];
        var records = new[] { Record("good", AnomalyLevels.None), Record("missing_item", AnomalyLevels.Logical), Record("damaged_item", AnomalyLevels.Structural) };
        var samples = RegionSamples.FromMasks(records, new float[3 * side * side], [new byte[side * side], twoBlobs, twoBlobs], side);
        Assert.Equal([LocoSpro.Good, LocoSpro.Logical, LocoSpro.Structural], samples.Select(s => s.DefectType));
        Assert.Empty(samples[0].GroundTruth.Regions);
        Assert.Equal([1L, 4L], samples[1].GroundTruth.Regions.Select(r => r.Area));
    }

    [Fact]
    public void A_region_saturates_at_its_full_area_so_sPRO_is_its_overlap()
    {
        const int side = 4;
        var mask = new byte[side * side];
        for (int i = 0; i < 4; i++) mask[i] = 1;          // the first row
        var map = new float[side * side];
        map[0] = map[1] = 1;                               // half of it above the threshold
        var sample = RegionSamples.FromMasks([Record("missing_item", AnomalyLevels.Logical)], map, [mask], side)[0];
        Assert.Equal(0.5, LocoSpro.Spro(sample.GroundTruth.Regions[0], sample.AnomalyMap, 0.5));
    }
}
