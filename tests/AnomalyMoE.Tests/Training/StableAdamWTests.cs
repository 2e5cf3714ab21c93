using System.Text.Json;
using AnomalyMoE.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Training;

public class StableAdamWTests
{
    sealed record Golden(double[] w0, double[] b0, double[][][] grads, double[] lrs, double[][][] after);

    static Golden LoadGolden() => JsonSerializer.Deserialize<Golden>(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Training", "golden", "stable_adamw.json")))!;

    static (Parameter W, Parameter B) Parameters(Golden g) => (
        new Parameter(torch.tensor(g.w0, dtype: ScalarType.Float64).reshape(3, 4)),
        new Parameter(torch.tensor(g.b0, dtype: ScalarType.Float64)));

    [Fact]
    public void Five_steps_match_the_reference_update_rule()
    {
        var g = LoadGolden();
        var (w, b) = Parameters(g);
        using var opt = new StableAdamW([("w", w), ("b", b)]);
        for (int step = 0; step < g.lrs.Length; step++)
        {
            w.grad = torch.tensor(g.grads[step][0], dtype: ScalarType.Float64).reshape(3, 4);
            b.grad = torch.tensor(g.grads[step][1], dtype: ScalarType.Float64);
            opt.LearningRate = g.lrs[step];
            opt.Step();
            AssertClose(g.after[step][0], w);
            AssertClose(g.after[step][1], b);
        }
    }

    [Fact]
    public void State_round_trip_continues_identically()
    {
        var g = LoadGolden();
        var (w, b) = Parameters(g);
        using var first = new StableAdamW([("w", w), ("b", b)]);
        void Feed(StableAdamW opt, int step)
        {
            w.grad = torch.tensor(g.grads[step][0], dtype: ScalarType.Float64).reshape(3, 4);
            b.grad = torch.tensor(g.grads[step][1], dtype: ScalarType.Float64);
            opt.LearningRate = g.lrs[step];
            opt.Step();
        }
        Feed(first, 0);
        Feed(first, 1);
        var saved = first.StateDict();
        using var second = new StableAdamW([("w", w), ("b", b)]);
        second.LoadStateDict(saved);
        for (int step = 2; step < g.lrs.Length; step++) Feed(second, step);
        AssertClose(g.after[^1][0], w);
        AssertClose(g.after[^1][1], b);
    }

    [Fact]
    public void Parameters_without_gradients_are_left_alone()
    {
        var p = new Parameter(torch.ones(2));
        using var opt = new StableAdamW([("p", p)]);
        opt.Step();
        Assert.True(p.allclose(torch.ones(2)));
    }

    [Fact]
    public void Parameters_under_a_skipped_prefix_keep_their_values_and_get_no_state()
    {
        var held = new Parameter(torch.ones(2)) { grad = torch.ones(2) };
        var stepped = new Parameter(torch.ones(2)) { grad = torch.ones(2) };
        using var opt = new StableAdamW([("experts.0.w", held), ("experts.1.w", stepped)]);
        opt.Step(["experts.0."]);
        Assert.True(held.allclose(torch.ones(2), rtol: 0, atol: 0));
        Assert.False(stepped.allclose(torch.ones(2)));
        var state = opt.StateDict();
        Assert.DoesNotContain("experts.0.w.step", state.Keys);
        Assert.Equal(1L, state["experts.1.w.step"].item<long>());
    }

    [Fact]
    public void Invalid_options_are_named()
    {
        var e = Assert.Throws<ArgumentException>(() => new StableAdamWOptions { Beta2 = 1.0 }.Validate());
        Assert.Contains("beta2", e.Message);
    }

    static void AssertClose(double[] expected, Tensor actual)
    {
        var values = actual.data<double>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++) Assert.True(Math.Abs(expected[i] - values[i]) <= 1e-12 + 1e-9 * Math.Abs(expected[i]), $"index {i}: expected {expected[i]}, got {values[i]}");
    }
}
