using AnomalyMoE.Synthetic;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Training;

namespace AnomalyMoE.Tests.Training;

/// <summary>A tiny synthetic dataset (two families, 64 px) shared by the engine tests.</summary>
public sealed class EngineFixture : IDisposable
{
    readonly TempDirectory directory = new();

    public EngineFixture()
    {
        var options = new SynthOptions(["industrial", "logical"], Seed: 3, Size: 64, TrainPerCategory: 4, TestPerCategory: 10);
        SyntheticBenchmark.Generate(options, directory.Combine("data"));
        Roots = options.Families.Select(f => new DataRoot(directory.Combine("data", f), [])).ToList();
    }

    public IReadOnlyList<DataRoot> Roots { get; }

    /// <summary>One category of one root, for the slower tests.</summary>
    public IReadOnlyList<DataRoot> OneCategory => [new DataRoot(Roots[0].Root, [AnomalyMoE.Data.MvtecDatasetReader.DiscoverCategories(Roots[0].Root)[0]])];

    public string NewRunFolder() => directory.Combine("runs", Guid.NewGuid().ToString("N"));

    public void Dispose() => directory.Dispose();
}

// Training re-seeds libtorch's global generator (dropout has no per-call generator), so engine tests run on
// their own: another test drawing from the global generator in parallel would break exact-resume checks.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "engine";
}
