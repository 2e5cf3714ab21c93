using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;

namespace AnomalyMoE.Tests.Interactive;

/// <summary>A notebook ablation variant is the run <c>amoe ablate</c> makes for its grid point: same folder, same configuration.</summary>
public class StudyVariantTests
{
    public static TheoryData<StudyVariant> Variants() => new(
        new StudyVariant("− EIR", "eir=off"),
        new StudyVariant("− ESB", "esb=off"),
        new StudyVariant("patch only", "levels=p"),
        new StudyVariant("no patch", "levels=cg"),
        new StudyVariant("top-1", "topk=1"),
        new StudyVariant("per-level routing", "routing=per-level"),
        new StudyVariant("per-level clipping", "clip=per-level"),
        new StudyVariant("hold unselected", "unselected=hold"),
        new StudyVariant("dense experts", "execution=dense"),
        new StudyVariant("own-group mask", "hm-mask=own-group"),
        new StudyVariant("textbook CLUB", "club=textbook"),
        new StudyVariant("two switches", "esb=off;topk=2;levels=pg;eir=on"));

    static readonly TrainingRunConfig Base = new() { Preset = "cpu-tiny", Data = [new DataRoot("/data/industrial", ["weave"])], Iterations = 12 };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Grid_point_folder_and_configuration_match_amoe_ablate(StudyVariant variant)
    {
        var point = Assert.Single(AblationGrid.Parse(variant.Grid!));
        Assert.Equal(point.Name, variant.FolderName);
        Assert.Equal(point.Apply(Base), variant.Apply(Base));
        Assert.NotEqual(Base, variant.Apply(Base));
    }

    [Fact]
    public void Reference_choice_variants_are_the_departures_of_the_preset_labelled_with_their_grid_point()
    {
        var variants = StudyVariant.ReferenceChoices(Base.Preset);
        Assert.Equal(AblationGrid.ReferenceChoices(Base).Select(p => p.GridPoint), variants.Select(v => v.GridPoint));
        Assert.All(variants, v => Assert.Equal($"reference: {v.GridPoint}", v.Label));
        Assert.Contains(variants, v => v.GridPoint == "global-input=image");
    }

    [Fact]
    public void Every_method_switch_can_be_a_variant_and_reaches_the_resolved_preset()
    {
        var changed = new[] { "levels=pg", "topk=2", "routing=all-experts", "clip=per-level", "unselected=step", "eir=off", "esb=off",
            "execution=dense", "hm-mask=own-group", "hm-ramp=50", "club=textbook", "eir-estimator=after-step", "test-groups=training-groups", "scoring=set-min-max",
            "fusion=sum", "fusion-temperature=1", "holdout=0.2", "global-view=jittered", "global-input=image", "global-map=layout-error", "component-map=reconstruction" };
        Assert.Equal(RunSwitches.MethodSwitches.Select(s => s.GridKey), changed.Select(c => c[..c.IndexOf('=')]));
        var baseRun = new TrainingRun(Base, new TrainingSettings());
        var basePreset = Base.ResolvePreset();
        foreach (var (grid, runSwitch) in changed.Zip(RunSwitches.MethodSwitches))
        {
            var config = new StudyVariant(grid, grid).Apply(Base);
            var effective = runSwitch.Effective(new TrainingRun(config, new TrainingSettings()), config.ResolvePreset());
            Assert.Equal(grid[(grid.IndexOf('=') + 1)..], effective);
            Assert.NotEqual(runSwitch.Effective(baseRun, basePreset), effective);
        }
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
        var e = Assert.Throws<AnomalyMoEException>(() => new StudyVariant("mixed", "topk=1", Preset: "cpu-small").Apply(Base));
        Assert.Contains("mixed", e.Message);
    }
}
