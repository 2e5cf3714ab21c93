using AnomalyMoE.Data;
using AnomalyMoE.Engine;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Tests.Training;
using AnomalyMoE.Training;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Engine;

[Collection(EngineCollection.Name)]
public class LayoutMemorySetTests(EngineFixture fixture)
{
    // A memory is only as good as its normals' coverage: a category with fewer independent training sequences than the
    // preset asks for keeps the trained global map, builds nothing, and the set says which category and why.
    [Fact]
    public void A_category_with_too_few_training_sequences_keeps_the_trained_map_and_a_note_says_so()
    {
        var category = MvtecDatasetReader.Read(new TrainingRunConfig { Preset = "micro", Data = fixture.OneCategory }.Sources()).Categories[0];
        var train = category.Train.ToList();
        var micro = TrainingPresets.Micro;
        var preset = micro with { Model = micro.Model with { Global = micro.Model.Global with { LayoutMinimumSequences = train.Count + 1 } } };
        using var directory = new TempDirectory();
        using var encoder = EncoderFactory.Create(preset, null, CPU);

        using var set = LayoutMemorySet.FitOrLoad(directory.Path, [category], encoder, preset, CPU);

        Assert.False(set.Covers(train[0]));
        var note = Assert.Single(set.Notes);
        Assert.Contains(category.Key, note);
        Assert.Contains($"{train.Count} independent sequence(s)", note);
        Assert.Empty(Directory.GetFiles(directory.Path));
        using var images = randn(2, 3, 64, 64);
        using var tokens = encoder.Encode(images, preset.Model.TapLayers);
        using var trained = rand(2, 1, 64, 64);
        using var map = set.Map(train.Take(2).ToList(), tokens, trained);
        Assert.True(map.allclose(trained, rtol: 0, atol: 0));
    }
}
