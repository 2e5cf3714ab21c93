using AnomalyMoE.Tests.Support;
using AnomalyMoE.Training;

namespace AnomalyMoE.Tests.Training;

public class LossLogTests
{
    static readonly string[] Components = ["loss", "esb"];

    [Fact]
    public void Rows_are_written_under_a_header()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("losses.csv");
        using (var log = LossLog.Open(path, Components))
        {
            log.Append(0, 0.0, new Dictionary<string, double> { ["loss"] = 1.5, ["esb"] = 3 });
        }
        Assert.Equal(["iteration,lr,loss,esb", "0,0,1.5,3"], File.ReadAllLines(path));
    }

    [Fact]
    public void Resume_drops_rows_from_the_checkpoint_iteration_on()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("losses.csv");
        using (var log = LossLog.Open(path, Components))
            for (int i = 0; i < 5; i++) log.Append(i, 0.1, new Dictionary<string, double> { ["loss"] = i });
        using (var log = LossLog.Open(path, Components, keepBefore: 3))
            log.Append(3, 0.1, new Dictionary<string, double> { ["loss"] = 30 });
        var read = LossLog.Read(path);
        Assert.Equal([0, 1, 2, 3], read["iteration"]);
        Assert.Equal(30, read["loss"][^1]);
    }

    [Fact]
    public void Resume_with_other_columns_is_an_error_naming_the_file()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("losses.csv");
        File.WriteAllLines(path, ["iteration,lr,other", "0,0,1"]);
        var e = Assert.Throws<InvalidDataException>(() => LossLog.Open(path, Components, keepBefore: 1));
        Assert.Contains(path, e.Message);
    }
}
