using AnomalyMoE.Evaluation;

namespace AnomalyMoE.Tests.Evaluation;

public class FrameLevelAurocTests
{
    [Fact]
    public void Frames_of_all_clips_are_pooled_into_one_roc()
    {
        // Per clip each is perfectly ranked, but clip B's scores are all higher: pooling must see that.
        var frames = new List<FrameScore>
        {
            new("A", "001", 0.1, false), new("A", "002", 0.3, true),
            new("B", "001", 0.2, false), new("B", "002", 0.9, true),
        };

        // Pairs (neg, pos): (0.1,0.3) ok, (0.1,0.9) ok, (0.2,0.3) ok, (0.2,0.9) ok → 1; swap one to test pooling.
        Assert.Equal(1.0, FrameLevelAuroc.Pooled(frames));
        frames[2] = new("B", "001", 0.5, false);
        Assert.Equal(0.75, FrameLevelAuroc.Pooled(frames));
    }

    [Fact]
    public void Ties_count_one_half()
    {
        var frames = new List<FrameScore> { new("A", "1", 0.5, false), new("A", "2", 0.5, true) };
        Assert.Equal(0.5, FrameLevelAuroc.Pooled(frames));
    }

    [Fact]
    public void A_frame_scored_twice_is_refused()
    {
        var frames = new List<FrameScore> { new("A", "1", 0.5, false), new("A", "1", 0.6, true) };
        Assert.Throws<ArgumentException>(() => FrameLevelAuroc.Pooled(frames));
    }

    [Fact]
    public void Converted_names_give_clip_and_frame()
    {
        Assert.Equal(("Test001", "002"), FrameLevelAuroc.ParseConvertedName("Test001_002.png"));
    }
}
