using AnomalyMoE.Data;
using AnomalyMoE.Engine;
using AnomalyMoE.Experts;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Tests.Training;
using AnomalyMoE.Training;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Engine;

[Collection(EngineCollection.Name)]
public class ComponentMemorySetTests(EngineFixture fixture)
{
    /// <summary>The fixture category's component memory set at a coverage minimum, fitted with micro's masks.</summary>
    static (ComponentMemorySet Set, IReadOnlyList<ImageRecord> Train, TrainingPreset Preset) Fit(EngineFixture fixture, int minimumSequences)
    {
        var category = MvtecDatasetReader.Read(new TrainingRunConfig { Preset = "micro", Data = fixture.OneCategory }.Sources()).Categories[0];
        var micro = TrainingPresets.Micro;
        var preset = micro with { Model = micro.Model with { Component = micro.Model.Component with { Map = ComponentMapKind.Memory, MemoryMinimumSequences = minimumSequences } } };
        using var directory = new TempDirectory();
        using var encoder = EncoderFactory.Create(preset, null, CPU);
        using var masks = ComponentMaskSet.FitOrLoad(directory.Path, [category], encoder, preset, CPU);
        return (ComponentMemorySet.Fit([category], encoder, masks, preset, CPU), category.Train.ToList(), preset);
    }

    [Fact]
    public void A_category_with_enough_training_sequences_gets_a_memory_and_no_note()
    {
        var (set, train, _) = Fit(fixture, 2);
        using var owned = set;

        Assert.True(set.Covers(train[0]));
        Assert.Empty(set.Notes);
    }

    // As with the layout memory, a category with fewer independent training sequences than the preset asks for keeps the
    // trained component map, and the set says which category and why.
    [Fact]
    public void A_category_with_too_few_training_sequences_keeps_the_trained_map_and_a_note_says_so()
    {
        var (set, train, preset) = Fit(fixture, int.MaxValue);
        using var owned = set;

        Assert.False(set.Covers(train[0]));
        var note = Assert.Single(set.Notes);
        Assert.Contains(train[0].CategoryKey, note);
        Assert.Contains($"{train.Count} independent sequence(s)", note);
        using var features = randn(2, preset.Model.EmbedDim);
        using var components = new ComponentBatch(features.clone(), [1, 1]);
        using var mask = ones(1, 64, 64, dtype: ScalarType.Byte);
        using var trained = rand(2, 1, 64, 64);
        using var map = set.Map(train.Take(2).ToList(), components, [mask, mask], trained);
        Assert.True(map.allclose(trained, rtol: 0, atol: 0));
    }
}
