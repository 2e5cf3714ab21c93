using AnomalyMoE.Interactive.Studies;
using AnomalyMoE.Synthetic;
using AnomalyMoE.Tests.Notebooks;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Interactive;

/// <summary>A notebook study is an <c>amoe train</c> + <c>amoe test</c> run: the commands it prints make the run it uses.</summary>
[Collection(NotebookCollection.Name)]
public class NotebookStudyTests
{
    static int Amoe(string commandLine, out string error)
    {
        Assert.StartsWith("amoe ", commandLine);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = AnomalyMoE.Cli.Cli.Run(Split(commandLine["amoe ".Length..]), stdout, stderr);
        error = stderr.ToString();
        return code;
    }

    /// <summary>Words of a command line; double quotes group.</summary>
    static string[] Split(string line)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (var c in line)
        {
            if (c == '"') quoted = !quoted;
            else if (c == ' ' && !quoted)
            {
                if (word.Length > 0) words.Add(word.ToString());
                word.Clear();
            }
            else word.Append(c);
        }
        if (word.Length > 0) words.Add(word.ToString());
        return words.ToArray();
    }

    [Fact]
    public void The_printed_commands_make_the_run_the_study_loads_and_the_report_it_writes()
    {
        using var work = new TempDirectory();
        using var study = NotebookStudy.Create(StudyOptions.Fast with { Family = SyntheticFamilies.Medical, Iterations = 1, WorkDirectory = work.Path });
        var commands = study.Commands;
        Assert.Equal(3, commands.Count);
        Assert.Contains($"--family {SyntheticFamilies.Medical}", commands[0]);
        Assert.Equal(study.DataRoot, Path.Combine(Split(commands[0]).SkipWhile(w => w != "--out").ElementAt(1), SyntheticFamilies.Medical));

        Assert.True(Amoe(commands[1], out var trainError) == 0, trainError);
        Assert.Equal(study.Config.ToJson(), File.ReadAllText(study.Run.ConfigPath));
        var training = study.Train();
        Assert.Equal((1, 1), (training.StartIteration, training.CompletedIterations));   // loaded, not trained again

        Assert.True(Amoe(commands[2], out var testError) == 0, testError);
        var cliReport = File.ReadAllText(Path.Combine(study.Run.ReportsDirectory, "metrics.json"));
        using var evaluation = study.Evaluate();
        Assert.Equal(cliReport, File.ReadAllText(Path.Combine(evaluation.ReportDirectory, "metrics.json")));
    }

    [Fact]
    public void A_variants_printed_amoe_ablate_command_makes_its_run_with_the_studys_seed()
    {
        using var work = new TempDirectory();
        using var study = NotebookStudy.Create(StudyOptions.Fast with { Family = SyntheticFamilies.Medical, Iterations = 1, Seed = 7, WorkDirectory = work.Path });
        using var variant = study.Variant(new StudyVariant("− EIR", "eir=off"));
        var command = variant.Commands[^1];   // after the synth command that makes the data
        Assert.StartsWith("amoe ablate ", command);
        Assert.Contains("--seed 7", command);

        Assert.True(Amoe(command, out var error) == 0, error);
        Assert.Equal(variant.Config.ToJson(), File.ReadAllText(variant.Run.ConfigPath));
    }

    // Level maps in the galleries must be the maps `amoe test` scores, so a test batch gives the global experts the image
    // itself on the test-time groups; a batch for loss terms gives them the view the trainer draws: the plain image under
    // micro's choice, the colour-jittered view under the reference's.
    [Theory]
    [InlineData(null, false)]
    [InlineData("global-view=jittered", true)]
    public void A_batch_gives_the_global_experts_the_image_itself_unless_the_training_view_is_asked_for(string? gridPoint, bool jitteredTraining)
    {
        using var work = new TempDirectory();
        using var fast = NotebookStudy.Create(StudyOptions.Fast with { Family = SyntheticFamilies.Medical, Iterations = 1, WorkDirectory = work.Path });
        using var study = gridPoint is null ? null : fast.Variant(new StudyVariant("view", gridPoint));
        var subject = study ?? fast;
        var samples = subject.TestSamples(normal: 1, anomalous: 1);
        using var test = subject.LoadBatch(samples);
        using var training = subject.LoadBatch(samples, trainingView: true);
        using var plain = AnomalyMoE.Training.ModelBatch.GlobalViewOf(test.Images, subject.Preset);
        Assert.True(test.Model.GlobalView!.allclose(plain, rtol: 0, atol: 0));
        Assert.Same(test.Model.Tokens, test.Model.GlobalTokens);
        Assert.True(test.Model.TestTime);
        Assert.False(training.Model.TestTime);
        Assert.Equal(jitteredTraining, !training.Model.GlobalView!.allclose(plain, rtol: 0, atol: 1e-3));
        Assert.Equal(jitteredTraining, !ReferenceEquals(training.Model.Tokens, training.Model.GlobalTokens));
    }
}
