using AnomalyMoE.Cli.Commands;
using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Training;

namespace AnomalyMoE.Tests.Interactive;

/// <summary>A notebook ablation variant is the run <c>amoe ablate</c> makes for its grid point: same folder, same configuration.</summary>
public class StudyVariantTests
{
    public static TheoryData<StudyVariant> Variants() => new(
        new StudyVariant("− EIR", UseEir: false),
        new StudyVariant("− ESB", UseEsb: false),
        new StudyVariant("patch only", Levels: "p"),
        new StudyVariant("no patch", Levels: "cg"),
        new StudyVariant("top-1", TopK: 1),
        new StudyVariant("two switches", Levels: "pg", TopK: 2, UseEir: true, UseEsb: false));

    static readonly TrainingRunConfig Base = new() { Preset = "cpu-tiny", Data = [new DataRoot("/data/industrial", ["weave"])], Iterations = 12 };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Grid_point_folder_and_configuration_match_amoe_ablate(StudyVariant variant)
    {
        var point = Assert.Single(AblateCommand.ParseGrid(variant.GridPoint!));
        Assert.Equal(point.Name, variant.FolderName);
        var ablate = Base with { Levels = point.Levels, TopK = point.TopK, UseEir = point.Eir, UseEsb = point.Esb };
        Assert.Equal(ablate, variant.Apply(Base));
    }

    [Fact]
    public void The_full_model_changes_nothing()
    {
        Assert.Null(StudyVariant.Full.GridPoint);
        Assert.Equal("default", StudyVariant.Full.FolderName);
        Assert.Equal(Base, StudyVariant.Full.Apply(Base));
    }

    [Fact]
    public void A_preset_variant_with_a_switch_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new StudyVariant("mixed", TopK: 1, Preset: "cpu-small").Apply(Base));
        Assert.Contains("mixed", e.Message);
    }
}
