using AnomalyMoE.Data;
using AnomalyMoE.Engine;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Training;
using AnomalyMoE.Training;

namespace AnomalyMoE.Tests.Engine;

[Collection(EngineCollection.Name)]
public class AnomalyMoEDetectorTests(EngineFixture fixture)
{
    // A micro run on the fixture's first category, trained for a few iterations, and that category.
    (IAnomalyDetector Detector, CategoryInfo Category) Trained(int iterations, int seed, string? levels = null)
    {
        var run = new RunDirectory(fixture.NewRunFolder());
        var config = new TrainingRunConfig { Preset = "micro", Data = fixture.OneCategory, Iterations = iterations, Seed = seed, Levels = levels };
        AnomalyMoETrainer.Train(run, config, new TrainingSettings(DeviceChoice.Cpu));
        var category = MvtecDatasetReader.Read(config.Sources()).Categories[0];
        return (Detectors.Open(run, [category], DeviceChoice.Cpu), category);
    }

    // The global experts see the test image itself, not a colour-jittered view drawn for its position in the set; the
    // maps are normalised over the whole set, so the same set in another order must give every image the same score.
    [Fact]
    public void AnImagesScoreDoesNotDependOnItsPositionInTheEvaluatedSet()
    {
        var (detector, category) = Trained(3, 5);
        using var _ = detector;
        var test = category.Test.ToList();

        using var forward = detector.Predict(test);
        var reversed = test.AsEnumerable().Reverse().ToList();
        using var backward = detector.Predict(reversed);

        var byPath = reversed.Select((r, i) => (r.Path, backward.Scores[i])).ToDictionary(x => x.Path, x => x.Item2);
        for (int i = 0; i < test.Count; i++)
            Assert.True(Math.Abs(forward.Scores[i] - byPath[test[i].Path]) <= 1e-5, $"{test[i].Path}: {forward.Scores[i]} vs {byPath[test[i].Path]}");
        Assert.True(forward.Scores.Distinct().Count() > 1, "every image scored the same");
    }

    // A level fused alone goes through the same normalisation, weighting, smoothing and top-1 % score as the full fusion,
    // so in a run with one level its alone scores are the fused scores, and no other level is reported.
    [Fact]
    public void WithOneExpertLevelItsAloneScoresAreTheFusedScores()
    {
        var (detector, category) = Trained(2, 9, levels: "p");
        using var _ = detector;

        using var predictions = detector.Predict(category.Test.ToList());

        Assert.Equal([ExpertLevels.Patch], predictions.ExpertLevelScores.Keys);
        Assert.Equal(predictions.Scores, predictions.ExpertLevelScores[ExpertLevels.Patch]);
    }

    [Fact]
    public void EveryLevelOfTheRunGetsItsOwnAloneScores()
    {
        var (detector, category) = Trained(2, 9);
        using var _ = detector;
        var test = category.Test.ToList();

        using var predictions = detector.Predict(test);

        Assert.Equal(ExpertLevels.All, predictions.ExpertLevelScores.Keys.OrderBy(k => ExpertLevels.All.ToList().IndexOf(k)));
        Assert.All(predictions.ExpertLevelScores.Values, s => Assert.Equal(test.Count, s.Length));
        Assert.NotEqual(predictions.ExpertLevelScores[ExpertLevels.Patch], predictions.ExpertLevelScores[ExpertLevels.Component]);
    }

    // --global-map layout-memory scores the global level by the category's layout memory, built into the run's layouts/
    // folder at the first evaluation and read back at the next; an image alone scores as inside the set.
    [Fact]
    public void A_layout_memory_run_builds_its_memory_once_and_scores_the_same_from_the_cached_one()
    {
        var run = new RunDirectory(fixture.NewRunFolder());
        var config = new TrainingRunConfig
        {
            Preset = "micro", Data = fixture.OneCategory, Iterations = 2, Seed = 3, GlobalMap = global::AnomalyMoE.Experts.GlobalMapKind.LayoutMemory,
        };
        AnomalyMoETrainer.Train(run, config, new TrainingSettings(DeviceChoice.Cpu));
        var category = MvtecDatasetReader.Read(config.Sources()).Categories[0];
        var test = category.Test.ToList();

        float[] built, alone;
        using (var detector = Detectors.Open(run, [category], DeviceChoice.Cpu))
        using (var predictions = detector.Predict(test))
        using (var first = detector.Predict([test[^1]]))
        {
            built = predictions.ExpertLevelScores[ExpertLevels.Global];
            alone = first.ExpertLevelScores[ExpertLevels.Global];
        }
        Assert.Single(Directory.GetFiles(LayoutMemorySet.CacheDirectory(run), "*.pth"));
        Assert.True(built.Distinct().Count() > 1, "every image got the same global score");
        Assert.True(Math.Abs(built[^1] - alone[0]) <= 1e-5f * Math.Max(1, Math.Abs(alone[0])), $"alone {alone[0]}, in the set {built[^1]}");

        using var reopened = Detectors.Open(run, [category], DeviceChoice.Cpu);
        using var again = reopened.Predict(test);
        Assert.Equal(built, again.ExpertLevelScores[ExpertLevels.Global], (a, b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1, Math.Abs(a)));
    }

    // --component-map memory scores the component level by each component's distance to the category's nearest training
    // normal: the scores vary between images, and an image alone scores as inside the set.
    [Fact]
    public void A_component_memory_run_scores_an_image_alone_as_inside_the_set()
    {
        var run = new RunDirectory(fixture.NewRunFolder());
        var config = new TrainingRunConfig
        {
            Preset = "micro", Data = fixture.OneCategory, Iterations = 2, Seed = 3, ComponentMap = global::AnomalyMoE.Experts.ComponentMapKind.Memory,
        };
        AnomalyMoETrainer.Train(run, config, new TrainingSettings(DeviceChoice.Cpu));
        var category = MvtecDatasetReader.Read(config.Sources()).Categories[0];
        var test = category.Test.ToList();

        using var detector = Detectors.Open(run, [category], DeviceChoice.Cpu);
        using var predictions = detector.Predict(test);
        using var first = detector.Predict([test[^1]]);
        var inSet = predictions.ExpertLevelScores[ExpertLevels.Component];
        var alone = first.ExpertLevelScores[ExpertLevels.Component][0];

        Assert.Empty(detector.Settings.Notes);
        Assert.Equal("memory", detector.Settings.Switches["component_map"]);
        Assert.True(inSet.Distinct().Count() > 1, "every image got the same component score");
        Assert.True(Math.Abs(inSet[^1] - alone) <= 1e-5f * Math.Max(1, Math.Abs(alone)), $"alone {alone}, in the set {inSet[^1]}");
    }

    // Calibrated scoring (the cpu presets) standardises each level by statistics of the category's normal training images
    // stored in the run, so an image predicted alone gets the score it gets inside the whole test set, and a decision.
    [Fact]
    public void A_calibrated_score_is_the_same_alone_and_inside_the_set()
    {
        var (detector, category) = Trained(3, 5);
        using var _ = detector;
        Assert.Equal(global::AnomalyMoE.Maps.ScoringMode.Calibrated, detector.Settings.Scoring);
        var test = category.Test.ToList();

        using var all = detector.Predict(test);
        foreach (var i in new[] { 0, test.Count / 2, test.Count - 1 })
        {
            using var alone = detector.Predict([test[i]]);
            Assert.True(Math.Abs(alone.Scores[0] - all.Scores[i]) <= 1e-4 * Math.Max(1, Math.Abs(all.Scores[i])), $"{test[i].Path}: alone {alone.Scores[0]}, in the set {all.Scores[i]}");
            Assert.Equal(all.Anomalous![i], alone.Anomalous![0]);
        }
        Assert.NotNull(all.Threshold);
        Assert.True(all.Scores.Distinct().Count() > 1, "every image scored the same");
    }

    // With a hold-out, a share of the training normals never reaches training and is what the scores are calibrated on.
    [Fact]
    public void A_hold_out_calibrates_on_the_held_out_normals_only()
    {
        var run = new RunDirectory(fixture.NewRunFolder());
        var config = new TrainingRunConfig { Preset = "micro", Data = fixture.OneCategory, Iterations = 2, Seed = 5, CalibrationHoldout = 0.5 };
        AnomalyMoETrainer.Train(run, config, new TrainingSettings(DeviceChoice.Cpu));
        var category = MvtecDatasetReader.Read(config.Sources()).Categories[0];
        int train = category.Train.Count();

        using (Detectors.Open(run, [category], DeviceChoice.Cpu)) { }

        var stored = global::AnomalyMoE.Maps.RunCalibration.Load(run.CalibrationPath).Categories[category.Key];
        Assert.Equal(CalibrationHoldout.HeldCount(train, 0.5), stored.Images);
        Assert.InRange(stored.Images, 2, train - 2);
    }
}
