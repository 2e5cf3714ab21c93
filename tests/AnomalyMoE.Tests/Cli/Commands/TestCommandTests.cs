using AnomalyMoE.Cli.Commands;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Data;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Training;

namespace AnomalyMoE.Tests.Cli.Commands;

public class TestCommandTests
{
    static (TempDirectory Dir, string Trained, string Other) TwoRoots()
    {
        var dir = new TempDirectory();
        var trained = dir.Combine("trained");
        var other = dir.Combine("other");
        foreach (var root in new[] { trained, other })
        {
            DatasetFixture.WriteCategory(root, "bottle");
            DatasetFixture.WriteCategory(root, "cable");
            DatasetFixture.WriteCategory(root, "screw");
        }
        return (dir, trained, other);
    }

    [Fact]
    public void AnotherDataRootIsEvaluatedOnTheRunsCategoriesOnly()
    {
        var (dir, trained, other) = TwoRoots();
        using var _ = dir;
        var config = new TrainingRunConfig { Preset = "micro", Data = [new DataRoot(trained, ["cable"])] };
        var roots = TestCommand.ResolveRoots(config, other, categories: null);
        var root = Assert.Single(roots);
        Assert.Equal(Path.GetFullPath(other), root.Root);
        Assert.Equal(["cable"], root.Categories);
    }

    [Fact]
    public void CategoriesOptionOverridesTheRunsCategories()
    {
        var (dir, trained, other) = TwoRoots();
        using var _ = dir;
        var config = new TrainingRunConfig { Preset = "micro", Data = [new DataRoot(trained, ["cable"])] };
        var root = Assert.Single(TestCommand.ResolveRoots(config, other, "bottle,screw"));
        Assert.Equal(["bottle", "screw"], root.Categories);
    }

    [Fact]
    public void RunTrainedOnAWholeRootIsEvaluatedOnThatRootsCategories()
    {
        var (dir, trained, other) = TwoRoots();
        using var _ = dir;
        DatasetFixture.WriteCategory(other, "zipper");
        var config = new TrainingRunConfig { Preset = "micro", Data = [new DataRoot(trained, [])] };
        var root = Assert.Single(TestCommand.ResolveRoots(config, other, null));
        Assert.Equal(["bottle", "cable", "screw"], root.Categories);
    }

    [Fact]
    public void ARunCategoryMissingUnderTheNewRootIsNamed()
    {
        var (dir, trained, other) = TwoRoots();
        using var _ = dir;
        DatasetFixture.WriteCategory(trained, "zipper");
        var config = new TrainingRunConfig { Preset = "micro", Data = [new DataRoot(trained, ["zipper"])] };
        var error = Assert.Throws<AnomalyMoEException>(() => TestCommand.ResolveRoots(config, other, null));
        Assert.Contains("zipper", error.Message);
    }
}
