using AnomalyMoE.Interactive.Charts;
using AnomalyMoE.Interactive.Rendering;
using SkiaSharp;

namespace AnomalyMoE.Tests.Interactive;

public class DomainChartsTests
{
    [Fact]
    public void Anomalous_frames_form_runs_of_consecutive_frames()
    {
        var clip = new ClipTrace("01", [0, 1, 2, 3, 4, 5], [0, 0, 1, 1, 0, 1], [false, true, true, false, false, true]);
        Assert.Equal([(1, 2), (5, 5)], clip.AnomalousRuns());
    }

    [Fact]
    public void Clip_timelines_stack_one_panel_per_clip_and_shade_the_anomalous_frames()
    {
        var clips = new[]
        {
            new ClipTrace("00", [0, 1, 2, 3], [0.1, 0.2, 0.1, 0.2], [false, false, false, false]),
            new ClipTrace("01", [0, 1, 2, 3], [0.1, 0.9, 0.8, 0.2], [false, true, true, false]),
        };
        var png = DomainCharts.ClipTimelines(clips, threshold: 0.5, width: 600, panelHeight: 180);
        using var bitmap = SKBitmap.Decode(png.Bytes);
        Assert.Equal(600, bitmap.Width);
        Assert.Equal(52 + 2 * 180, bitmap.Height);
        // The second panel has red-tinted shading, the first none.
        static int Reddish(SKBitmap b, int top, int height) => Enumerable.Range(top, height)
            .Sum(y => Enumerable.Range(0, b.Width).Count(x => b.GetPixel(x, y) is var c && c.Red > 230 && c.Green is > 150 and < 215 && c.Blue is > 150 and < 215));
        Assert.Equal(0, Reddish(bitmap, 52, 180));
        Assert.True(Reddish(bitmap, 52 + 180, 180) > 500);
    }

    [Fact]
    public void Grouped_bars_reject_a_series_of_the_wrong_length()
    {
        var e = Assert.Throws<ArgumentException>(() => DomainCharts.GroupedBars("t", ["a", "b"], [new BarSeries("AUROC", [0.5])], "AUROC"));
        Assert.Contains("AUROC", e.Message);
    }

    [Fact]
    public void A_view_is_a_section_named_by_its_id_around_its_content()
    {
        var html = new NotebookView("frame-auroc", "Frame AUROC", "text <b>", "a note").ToHtml();
        Assert.StartsWith("<section class=\"amoe-view\" data-view=\"frame-auroc\"><h4>Frame AUROC</h4>", html);
        Assert.Contains("text &lt;b&gt;", html);
        Assert.Throws<ArgumentException>(() => new NotebookView("Frame AUROC", "t", "x").ToHtml());
    }
}
