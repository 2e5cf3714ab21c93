using AnomalyMoE.Parity;
using AnomalyMoE.Tests.Support;
using TorchSharp;

namespace AnomalyMoE.Tests.Parity;

public class TorchFileTests
{
    [Fact]
    public void Reads_the_seed0_expected_tensors_with_their_shapes()
    {
        var tensors = TorchFile.LoadTensors(Path.Combine(SharedFixtures.Seed0, "expected.pth"));
        try
        {
            Assert.Equal(new long[] { 2, 3, 392, 392 }, tensors["input.image_st"].shape);
            Assert.Equal(new long[] { 2, 789, 64 }, tensors["out.encoder.block9"].shape);
            Assert.Equal(torch.ScalarType.Byte, tensors["input.masks0"].dtype);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    [Fact]
    public void Round_trips_a_dict_through_a_file()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("x.pth");
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        TorchFile.SaveTensors(new Dictionary<string, torch.Tensor> { ["a"] = a }, path);
        var back = TorchFile.LoadTensors(path);
        Assert.True(back["a"].allclose(a));
        back["a"].Dispose();
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*"));
    }

    [Fact]
    public void Missing_file_error_names_the_path()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TorchFile.LoadTensors("/nonexistent/model.pth"));
        Assert.Contains("/nonexistent/model.pth", e.Message);
    }

    [Fact]
    public void Non_torch_file_error_names_the_path()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("bad.pth");
        File.WriteAllText(path, "not a checkpoint");
        var e = Assert.Throws<InvalidDataException>(() => TorchFile.LoadTensors(path));
        Assert.Contains(path, e.Message);
    }
}
