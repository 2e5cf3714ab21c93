using AnomalyMoE.Evaluation;

namespace AnomalyMoE.Tests.Evaluation;

public class DatasetSpecificMetricsTests
{
    [Fact]
    public void A_value_of_another_kind_reads_as_absent()
    {
        var ped2 = new DatasetSpecificMetrics(DatasetMetricsKind.UcsdPed2, AucSpro: 0.4, FrameAuroc: 0.9);

        Assert.Equal(0.9, ped2[DatasetSpecificMetrics.FrameAurocKey]);
        Assert.Null(ped2[DatasetSpecificMetrics.AucSproKey]);
        Assert.Equal([new KeyValuePair<string, double?>("frame_auroc", 0.9)], ped2.Values);
    }

    [Fact]
    public void Means_are_over_the_categories_that_have_a_value()
    {
        DatasetSpecificMetrics?[] categories =
        [
            new(DatasetMetricsKind.MvtecLoco, AucSpro: 0.5, ImageAurocLogical: 0.6, ImageAurocStructural: null),
            new(DatasetMetricsKind.MvtecLoco, AucSpro: 0.7, ImageAurocLogical: 0.8, ImageAurocStructural: 0.9),
            new(DatasetMetricsKind.Mvtec3d, Aupro03: 0.3, Aupro001: 0.1),
            null,
        ];

        var means = DatasetSpecificMetrics.Means(categories);

        Assert.Equal(new HashSet<string> { "auc_spro_0.05", "image_auroc_logical", "image_auroc_structural", "aupro_0.3", "aupro_0.01" }, means.Keys.ToHashSet());
        Assert.Equal(0.6, means["auc_spro_0.05"], 12);
        Assert.Equal(0.9, means["image_auroc_structural"], 12);
        Assert.Equal(0.3, means["aupro_0.3"], 12);
        Assert.False(means.ContainsKey("frame_auroc"));
    }
}
