using AnomalyMoE.Parity;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Parity;

public class OfficialParityTests
{
    [Fact]
    public void Every_seed0_tensor_is_within_tolerance_and_every_recorded_output_is_compared()
    {
        var rows = OfficialParity.Verify(SharedFixtures.Seed0);
        var failed = rows.Where(r => !r.Pass).Select(r => $"{r.Tensor}: {r.Error:E3} > {r.Tolerance:E0}").ToList();
        Assert.True(failed.Count == 0, "Out of tolerance: " + string.Join("; ", failed));
        var compared = rows.Select(r => r.Tensor).ToHashSet();
        var recorded = Seed0Tensors.Expected.Keys.Where(k => !k.StartsWith("input.", StringComparison.Ordinal)
            && !k.StartsWith("club_params.", StringComparison.Ordinal) && k is not "club.x" and not "club.y" and not "club.perm");
        var notCompared = recorded.Where(k => !compared.Contains(k)).ToList();
        Assert.True(notCompared.Count == 0, "Recorded but not compared: " + string.Join(", ", notCompared));
    }

    [Fact]
    public void Every_test_time_tensor_of_expected_eval_is_compared()
    {
        var rows = OfficialParity.Verify(SharedFixtures.Seed0).Where(r => r.Tensor.StartsWith("eval.", StringComparison.Ordinal)).ToList();
        var recorded = TorchFile.LoadTensors(Path.Combine(SharedFixtures.Seed0, "expected_eval.pth"));
        try
        {
            Assert.Equal(recorded.Keys.Order(StringComparer.Ordinal), rows.Select(r => r.Tensor).Order(StringComparer.Ordinal));
            Assert.All(rows, r => Assert.True(r.Pass, $"{r.Tensor}: {r.Error:E3}"));
        }
        finally
        {
            foreach (var t in recorded.Values) t.Dispose();
        }
    }

    [Fact]
    public void Scoring_on_the_training_groups_is_not_what_test_py_computes()
    {
        var meta = Path.Combine(SharedFixtures.Seed0, "meta.json");
        var options = OfficialParity.ReadOptions(meta) with { TestGroups = global::AnomalyMoE.Model.TestTimeGroups.TrainingGroups };
        var rows = OfficialParity.Verify(SharedFixtures.Seed0, options);
        var patch = rows.Single(r => r.Tensor == "eval.map.patch");
        Assert.False(patch.Pass, $"the training groups' patch map matched test.py's within {patch.Error:E3}");
    }

    [Fact]
    public void Verb_prints_the_table_and_exits_zero_on_seed0()
    {
        var output = new StringWriter();
        var code = global::AnomalyMoE.Cli.Cli.Run(["verify-parity", SharedFixtures.Seed0], output, new StringWriter());
        var text = output.ToString();
        Assert.Equal(0, code);
        Assert.Contains("loss.esb", text);
        Assert.Contains("all", text);
    }

    [Fact]
    public void Verb_names_a_missing_folder_and_exits_with_a_user_error()
    {
        var error = new StringWriter();
        var code = global::AnomalyMoE.Cli.Cli.Run(["verify-parity", "/nonexistent/fixture"], new StringWriter(), error);
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/fixture", error.ToString());
    }
}
