using AnomalyMoE.Data;

namespace AnomalyMoE.Tests.Data;

public class ImageSequencesTests
{
    [Fact]
    public void Frames_named_clip_underscore_frame_form_one_sequence_per_clip()
    {
        string[] paths = ["/d/train/good/Train001_001.png", "/d/train/good/Train001_002.png", "/d/train/good/Train002_001.png"];
        Assert.Equal(new[] { 0, 0, 1 }, ImageSequences.Of(paths));
    }

    [Theory]
    [InlineData("/d/000.png", "/d/001.png", "/d/002.png")]                 // MVTec AD: plain indices
    [InlineData("/d/scan_001.png", "/d/scan_002.png", "/d/scan_003.png")]  // one sequence only: nothing to leave out between
    [InlineData("/d/a_001.png", "/d/b_001.png", "/d/c_001.png")]           // every sequence a single frame
    [InlineData("/d/a_001.png", "/d/a_002.png", "/d/b_x.png")]             // one name does not follow the pattern
    public void Any_other_set_of_names_makes_each_image_a_sequence_of_its_own(params string[] paths)
    {
        Assert.Equal(new[] { 0, 1, 2 }, ImageSequences.Of(paths));
    }
}
