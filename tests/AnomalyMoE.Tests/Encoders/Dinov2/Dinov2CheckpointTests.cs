using AnomalyMoE.Encoders.Dinov2;
using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Encoders.Dinov2;

public sealed class Dinov2CheckpointTests
{
    static string Seed0Model => Path.Combine(SharedFixtures.Seed0, "model.pth");

    /// <summary>The seed0 encoder's weights with plain (DINOv2) keys; the caller disposes them.</summary>
    static Dictionary<string, Tensor> PlainTinyWeights()
    {
        var whole = TorchFile.LoadTensors(Seed0Model);
        var plain = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in whole)
        {
            if (key.StartsWith("encoder.", StringComparison.Ordinal)) plain[key["encoder.".Length..]] = value;
            else value.Dispose();
        }
        return plain;
    }

    [Fact]
    public void Missing_file_error_names_the_path()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Dinov2Encoder.Load("/nonexistent/dinov2_vits14_pretrain.pth", Dinov2Options.VitS14));
        Assert.Contains("/nonexistent/dinov2_vits14_pretrain.pth", e.Message);
    }

    [Fact]
    public void Checkpoint_of_another_size_gets_one_error_listing_shape_mismatches_and_naming_the_file()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => Dinov2Encoder.Load(Seed0Model, Dinov2Options.VitS14Reg4));
        Assert.Contains(Seed0Model, e.Message);
        Assert.Contains("AnomalyMoE checkpoint", e.Message);
        Assert.Contains("shape mismatches", e.Message);
        Assert.Contains("encoder.cls_token: file [1, 1, 64], model [1, 1, 384]", e.Message);
        // ViT-S has 12 blocks, the file 10: blocks 10 and 11 (14 keys each) are missing.
        Assert.Contains("28 missing keys: encoder.blocks.10.norm1.weight", e.Message);
    }

    [Fact]
    public void Registers_in_the_file_but_not_in_the_model_are_unexpected_keys()
    {
        var weights = PlainTinyWeights();
        try
        {
            var plainTiny = Dinov2Options.Tiny with { Name = "tiny_without_registers", RegisterTokens = 0 };
            var e = Assert.Throws<AnomalyMoEException>(() => Dinov2Encoder.Load(weights, plainTiny, "weights.pth"));
            Assert.Contains("weights.pth", e.Message);
            Assert.Contains("DINOv2 checkpoint, plain keys", e.Message);
            Assert.Contains("1 unexpected keys: register_tokens", e.Message);
            Assert.DoesNotContain("missing", e.Message);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    [Fact]
    public void File_without_some_weights_lists_every_missing_key()
    {
        using var dir = new TempDirectory();
        var weights = PlainTinyWeights();
        try
        {
            var partial = weights.Where(kv => !kv.Key.StartsWith("blocks.3.", StringComparison.Ordinal) && kv.Key != "norm.bias")
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            var path = dir.Combine("partial.pth");
            TorchFile.SaveTensors(partial, path);
            var e = Assert.Throws<AnomalyMoEException>(() => Dinov2Encoder.Load(path, Dinov2Options.Tiny));
            Assert.Contains(path, e.Message);
            Assert.Contains("15 missing keys", e.Message);
            Assert.Contains("blocks.3.attn.qkv.weight", e.Message);
            Assert.Contains("norm.bias", e.Message);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    [Fact]
    public void Non_torch_file_error_names_the_path()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("not-a-checkpoint.pth");
        File.WriteAllText(path, "hello");
        var e = Assert.Throws<InvalidDataException>(() => Dinov2Encoder.Load(path, Dinov2Options.Tiny));
        Assert.Contains(path, e.Message);
    }
}
