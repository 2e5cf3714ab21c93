using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Tests.Evaluation;

public class CategoryMetricsTests
{
    [Fact]
    public void Category_without_masks_has_image_metrics_and_null_pixel_metrics()
    {
        var result = CategoryMetrics.Evaluate("breakfast_box", [0.1f, 0.4f, 0.35f, 0.8f], [0, 0, 1, 1]);

        Assert.Equal(0.75, result.ImageAuroc, 1e-12);
        Assert.Equal(0.8333333333333333, result.ImageAp, 1e-12);
        Assert.Equal(0.8, result.ImageF1Max, 1e-12);
        Assert.Null(result.PixelAuroc);
        Assert.Null(result.PixelAp);
        Assert.Null(result.PixelF1Max);
        Assert.Null(result.PixelAupro);
    }

    [Fact]
    public void Category_with_masks_has_the_pixel_metrics_of_its_maps()
    {
        var maps = PixelMetricsTests.RandomMaps(seed: 2, count: 4, height: 8, width: 8, levels: 0);

        var result = CategoryMetrics.Evaluate("bottle", [0.1f, 0.9f, 0.2f, 0.8f], [0, 1, 0, 1], maps, auproLimit: 0.05);
        var pixel = PixelMetrics.Compute(maps, 0.05);

        Assert.Equal(pixel.Auroc, result.PixelAuroc);
        Assert.Equal(pixel.AveragePrecision, result.PixelAp);
        Assert.Equal(pixel.F1Max, result.PixelF1Max);
        Assert.Equal(pixel.AuproAt(0.05), result.PixelAupro);
    }

    [Fact]
    public void Errors_name_the_category()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => CategoryMetrics.Evaluate("carpet", [0.1f, 0.2f], [0, 0]));
        Assert.StartsWith("Category 'carpet'", e.Message);
    }

    [Fact]
    public void Mean_is_over_categories_and_pixel_means_only_over_categories_that_have_them()
    {
        var summary = MetricsSummary.FromCategories([
            new CategoryMetrics("a", 1.0, 0.8, 0.6, PixelAuroc: 0.9, PixelAp: 0.5, PixelF1Max: 0.4, PixelAupro: 0.7),
            new CategoryMetrics("b", 0.5, 0.4, 0.2),
            new CategoryMetrics("c", 0.9, 0.6, 0.4, PixelAuroc: 0.7, PixelAp: 0.3, PixelF1Max: 0.2, PixelAupro: 0.5),
        ]);

        Assert.Equal(3, summary.Categories.Count);
        Assert.Equal("mean", summary.Mean.Category);
        Assert.Equal(0.8, summary.Mean.ImageAuroc, 1e-12);
        Assert.Equal(0.6, summary.Mean.ImageAp, 1e-12);
        Assert.Equal(0.4, summary.Mean.ImageF1Max, 1e-12);
        Assert.Equal(0.8, summary.Mean.PixelAuroc!.Value, 1e-12);
        Assert.Equal(0.4, summary.Mean.PixelAp!.Value, 1e-12);
        Assert.Equal(0.3, summary.Mean.PixelF1Max!.Value, 1e-12);
        Assert.Equal(0.6, summary.Mean.PixelAupro!.Value, 1e-12);
    }

    [Fact]
    public void Pixel_means_are_null_when_no_category_has_masks()
    {
        var summary = MetricsSummary.FromCategories([new CategoryMetrics("a", 1.0, 0.8, 0.6), new CategoryMetrics("b", 0.5, 0.4, 0.2)]);

        Assert.Null(summary.Mean.PixelAuroc);
        Assert.Null(summary.Mean.PixelAp);
        Assert.Null(summary.Mean.PixelF1Max);
        Assert.Null(summary.Mean.PixelAupro);
    }

    [Fact]
    public void Empty_or_duplicate_categories_are_errors()
    {
        Assert.Throws<AnomalyMoEException>(() => MetricsSummary.FromCategories([]));
        var e = Assert.Throws<AnomalyMoEException>(() => MetricsSummary.FromCategories([new CategoryMetrics("a", 1, 1, 1), new CategoryMetrics("a", 1, 1, 1)]));
        Assert.Contains("'a'", e.Message);
    }
}
