using AnomalyMoE.Experts;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Experts;

/// <summary>
/// The global and component loss terms of seed0, assembled as the reference's <c>calculate_moe_loss</c> does
/// (Σ over experts of mean(routing weight × per-item loss × 0.1)), from the fixture's expert outputs.
/// </summary>
public class ExpertLossParityTests(ITestOutputHelper output)
{
    static IReadOnlyDictionary<string, Tensor> E => Seed0Tensors.Expected;

    [Fact]
    public void Global_loss_reproduces_the_reference()
    {
        using var scope = NewDisposeScope();
        var weights = E["out.routing_weights"][.., 2..4];
        var total = zeros(1);
        for (int i = 0; i < 2; i++)
        {
            var perImage = GlobalExpert.PerImageLoss(E[$"out.global{i}.ae_output"], E[$"out.global{i}.student_output"], E["out.en_ae_map1"]);
            total = total + (weights[.., i] * perImage * 0.1).mean();
        }
        var rel = Seed0Tensors.RelativeError(total, E["loss.global"]);
        output.WriteLine($"loss.global relative error {rel:E2}");
        Assert.True(rel <= 1e-4);
    }

    [Fact]
    public void Component_loss_reproduces_the_reference()
    {
        using var scope = NewDisposeScope();
        var rows = ComponentFeatures.PerComponentRows(E["out.routing_weights"][.., 4..6], [3, 2]);
        var total = zeros(1);
        for (int i = 0; i < 2; i++)
            total = total + (rows[.., i] * ComponentExpert.PerComponentLoss(E[$"out.component{i}.recon"], E["out.component_orig"]) * 0.1).mean();
        var rel = Seed0Tensors.RelativeError(total, E["loss.component"]);
        output.WriteLine($"loss.component relative error {rel:E2}");
        Assert.True(rel <= 1e-4);
    }
}
