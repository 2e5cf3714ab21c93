using AnomalyMoE.Experts;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Experts;

public class GlobalExpertTests(ITestOutputHelper output)
{
    static GlobalExpert LoadFixtureExpert(int index)
    {
        var expert = new GlobalExpert(GlobalExpertOptions.ParityFixture);
        var (missing, unexpected) = expert.load_state_dict(Seed0Tensors.ModelSubtree($"global_experts.{index}."), strict: true);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        expert.eval();
        return expert;
    }

    [Fact]
    public void State_dict_keys_match_the_reference_layer_indices()
    {
        using var expert = new GlobalExpert(GlobalExpertOptions.ParityFixture);
        var ours = expert.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var reference = Seed0Tensors.ModelSubtree("global_experts.0.").Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        Assert.Equal(reference, ours);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Forward_reproduces_the_reference_outputs(int index)
    {
        using var expert = LoadFixtureExpert(index);
        using var _ = no_grad();
        var (ae, student) = expert.forward(Seed0Tensors.Expected["input.image_ae"]);
        using (ae)
        using (student)
        {
            var aeError = Seed0Tensors.MaxAbsError(ae, Seed0Tensors.Expected[$"out.global{index}.ae_output"]);
            var studentError = Seed0Tensors.MaxAbsError(student, Seed0Tensors.Expected[$"out.global{index}.student_output"]);
            output.WriteLine($"global{index}: ae max abs {aeError:E2}, student max abs {studentError:E2}");
            Assert.True(aeError <= 1e-4);
            Assert.True(studentError <= 1e-4);
        }
    }

    [Fact]
    public void Autoencoder_output_follows_the_student_grid_for_smaller_inputs()
    {
        using var expert = new GlobalExpert(GlobalExpertOptions.ParityFixture);
        expert.eval();
        using var _ = no_grad();
        using var image = randn(1, 3, 224, 224);
        var (ae, student) = expert.forward(image);
        using (ae)
        using (student)
        {
            Assert.Equal(new long[] { 1, 64, 16, 16 }, student.shape);
            Assert.Equal(student.shape, ae.shape);
        }
    }

    [Fact]
    public void A_fixed_output_size_is_honoured()
    {
        using var expert = new GlobalExpert(GlobalExpertOptions.ParityFixture with { OutputSize = 20 });
        expert.eval();
        using var _ = no_grad();
        using var image = randn(1, 3, 392, 392);
        var (ae, student) = expert.forward(image);
        using (ae)
        using (student)
            Assert.Equal(new long[] { 1, 64, 20, 20 }, ae.shape);
    }

    [Fact]
    public void Loss_is_student_mse_plus_resized_autoencoder_mse_per_image()
    {
        using var ae = ones(2, 4, 6, 6);
        using var student = zeros(2, 4, 6, 6);
        using var target = full(new long[] { 2, 4, 3, 3 }, 3.0f);
        using var loss = GlobalExpert.PerImageLoss(ae, student, target);
        // (1 - 0)² + (1 - 3)² = 1 + 4 for every image.
        Assert.Equal(new[] { 5f, 5f }, loss.data<float>().ToArray());
    }

    [Fact]
    public void Anomaly_map_is_the_channel_mean_of_the_squared_difference()
    {
        using var ae = stack(new[] { ones(6, 6), zeros(6, 6) }).unsqueeze(0);
        using var student = zeros(1, 2, 6, 6);
        using var map = GlobalExpert.AnomalyMap(ae, student, 6, 6);
        Assert.Equal(new long[] { 1, 1, 6, 6 }, map.shape);
        Assert.True(map.allclose(full(new long[] { 1, 1, 6, 6 }, 0.5f)));
    }

    [Fact]
    public void Layout_error_ignores_detail_that_pools_away_and_marks_the_cell_whose_layout_differs()
    {
        // Target: a checkerboard (pure detail, mean 0.5 in every 2×2 cell). Drawn: the flat mean, except one wrong cell.
        using var target = (arange(8).view(8, 1) + arange(8).view(1, 8)).remainder(2).to(float32).view(1, 1, 8, 8);
        using var drawn = full(new long[] { 1, 1, 8, 8 }, 0.5f);
        drawn[.., .., 6.., 6..] = tensor(2.5f);
        using var map = GlobalExpert.LayoutErrorMap(drawn, target, layoutGrid: 4, gridH: 4, gridW: 4);
        var cells = map.view(16).data<float>().ToArray();
        Assert.Equal(4f, cells[15], 4);                       // (2.5 − 0.5)² in the changed cell
        Assert.All(cells[..15], c => Assert.Equal(0f, c, 4));  // the checkerboard's detail pools away
        using var studentMap = GlobalExpert.AnomalyMap(drawn, target, 4, 4);
        Assert.True(studentMap.min().item<float>() > 0.1f);  // where a token-wise comparison sees it everywhere
    }

    [Fact]
    public void Layout_error_loss_compares_the_pooled_maps()
    {
        using var ae = (arange(4).view(2, 2).remainder(2) * 2).to(float32).expand(1, 3, 2, 2).contiguous();   // rows 0 2 / 0 2: mean 1
        using var student = zeros(1, 3, 2, 2);
        using var target = ones(1, 3, 2, 2);
        using var layout = GlobalExpert.PerImageLoss(ae, student, target, layoutGrid: 1);
        using var reference = GlobalExpert.PerImageLoss(ae, student, target);
        // Student term 2 either way; the pooled autoencoder term is (1 − 1)² = 0, the token-wise one (1 + 1) / 2 = 1.
        Assert.Equal(2f, layout.item<float>(), 5);
        Assert.Equal(3f, reference.item<float>(), 5);
    }

    [Fact]
    public void Options_validation_names_the_bad_value()
    {
        var e = Assert.Throws<ArgumentException>(() => (GlobalExpertOptions.Paper with { StudentWidths = [8] }).Validate());
        Assert.Contains("StudentWidths", e.Message);
    }

    [Fact]
    public void Training_loss_reaches_both_networks()
    {
        using var expert = new GlobalExpert(GlobalExpertOptions.ParityFixture);
        expert.train();
        using var scope = NewDisposeScope();
        var image = randn(1, 3, 392, 392);
        var (ae, student) = expert.forward(image);
        var loss = GlobalExpert.PerImageLoss(ae, student, randn(1, 64, 28, 28)).sum();
        loss.backward();
        var grads = expert.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad);
        Assert.True(grads["autoencoder.0.weight"]!.abs().sum().item<float>() > 0);
        Assert.True(grads["student.0.weight"]!.abs().sum().item<float>() > 0);
    }
}
