using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Maps;

/// <summary>Per-level maps and the fused map of the seed0 fixture (2 patch, 2 global, 2 component experts, in that order).</summary>
public class MapParityTests(ITestOutputHelper output)
{
    static IReadOnlyDictionary<string, Tensor> E => Seed0Tensors.Expected;
    void Check(string name, double error)
    {
        output.WriteLine($"{name}: {error:E2}");
        Assert.True(error <= 1e-4, $"{name} error {error}");
    }

    static Tensor Weights(int start) => E["out.routing_weights"][.., start..(start + 2)];

    [Fact]
    public void Patch_level_map_reproduces_the_reference()
    {
        using var scope = NewDisposeScope();
        var grid = LevelMaps.Patch([(E["out.patch0.en_map1"], E["out.patch0.de_map1"]), (E["out.patch1.en_map1"], E["out.patch1.de_map1"])], Weights(0), 28, 28);
        var map = LevelMaps.ToImage(grid, 392, 392);
        Check("map.patch", Seed0Tensors.MaxAbsError(map, E["map.patch"]));
    }

    [Fact]
    public void Global_level_map_reproduces_the_reference()
    {
        using var scope = NewDisposeScope();
        var maps = Enumerable.Range(0, 2)
            .Select(i => GlobalExpert.AnomalyMap(E[$"out.global{i}.ae_output"], E[$"out.global{i}.student_output"], 28, 28)).ToArray();
        var map = LevelMaps.ToImage(LevelMaps.Global(maps, Weights(2), 28, 28), 392, 392);
        Check("map.global", Seed0Tensors.MaxAbsError(map, E["map.global"]));
    }

    [Fact]
    public void Component_level_map_reproduces_the_reference()
    {
        using var scope = NewDisposeScope();
        int[] counts = [3, 2];
        var scores = LevelMaps.ComponentScores([E["out.component0.recon"], E["out.component1.recon"]], E["out.component_orig"], counts, Weights(4));
        var map = ComponentFeatures.AnomalyMap(scores, [E["input.masks0"], E["input.masks1"]], counts, 392, 392);
        Check("map.component", Seed0Tensors.MaxAbsError(map, E["map.component"]));
    }

    [Fact]
    public void Fused_smoothed_map_and_image_scores_reproduce_the_reference()
    {
        using var fused = MapFusion.Fuse(E["map.patch"], E["map.global"], E["map.component"], E["out.routing_weights"], new ExpertLayout(2, 2, 2));
        Check("map.fused_smoothed_256", Seed0Tensors.MaxAbsError(fused.Smoothed, E["map.fused_smoothed_256"]));
        Check("score.image", Seed0Tensors.RelativeError(fused.Scores, E["score.image"]));
    }
}
