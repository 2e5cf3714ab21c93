using AnomalyMoE.Experts;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Experts;

public class LayoutGlobalExpertTests
{
    static readonly TokenGlobalExpertOptions Small = new(Code: 8, CodeGrid: 2, StudentWidth: 4, Autoencoder: TokenAutoencoder.LayoutMlp, LayoutHidden: 16);

    /// <summary>A small expert in evaluation mode (no dropout) and a random 8×8 token map of width 6, from one seed.</summary>
    static (LayoutGlobalExpert Expert, Tensor Tokens) Seeded(int seed)
    {
        manual_seed(seed);
        var expert = new LayoutGlobalExpert(6, Small);
        expert.eval();
        return (expert, randn(1, 6, 8, 8));
    }

    [Fact]
    public void The_autoencoder_sees_only_the_pooled_layout_while_the_student_sees_every_token()
    {
        var (expert, tokens) = Seeded(3);
        using var _ = expert;
        using var __ = tokens;
        // The same 2×2-cell means, with detail moved inside each 4×4 cell: a shift by one token along x within the cells.
        using var cells = tokens.view(1, 6, 2, 4, 2, 4);
        using var shuffled = cells.roll(1, 5).reshape(1, 6, 8, 8);
        var (ae, student) = expert.forward(tokens);
        var (aeShuffled, studentShuffled) = expert.forward(shuffled);
        using (ae) using (student) using (aeShuffled) using (studentShuffled)
        {
            Assert.Equal(new long[] { 1, 6, 8, 8 }, ae.shape);
            Assert.Equal(new long[] { 1, 6, 8, 8 }, student.shape);
            Assert.True(ae.allclose(aeShuffled, rtol: 1e-5, atol: 1e-6));
            Assert.False(student.allclose(studentShuffled, rtol: 1e-3, atol: 1e-4));
        }
    }

    [Fact]
    public void Moving_content_to_another_cell_changes_the_drawing()
    {
        var (expert, tokens) = Seeded(4);
        using var _ = expert;
        using var __ = tokens;
        using var swapped = tokens.roll(4, 3);   // the left and right cells swap places
        var (ae, student) = expert.forward(tokens);
        var (aeSwapped, studentSwapped) = expert.forward(swapped);
        using (ae) using (student) using (aeSwapped) using (studentSwapped)
            Assert.False(ae.allclose(aeSwapped.roll(4, 3), rtol: 1e-3, atol: 1e-4));
    }

    [Fact]
    public void The_layout_input_builds_this_expert()
    {
        var options = GlobalExpertOptions.ParityFixture with { TokenMap = Small };
        Assert.Equal(GlobalExpertInput.Layout, options.Input);
        using var expert = GlobalExpert.Create(options);
        Assert.IsType<LayoutGlobalExpert>(expert);
        Assert.Equal(GlobalExpertInput.Tokens, (options with { TokenMap = new TokenGlobalExpertOptions() }).Input);
    }
}
