using System.Text.Json;
using AnomalyMoE.Encoders.Dinov2;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Encoders.Dinov2;

public sealed class Dinov2ArchitectureTests
{
    [Fact]
    public void ViT_B14_reg4_has_exactly_the_paper_checkpoints_encoder_keys_and_shapes()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(SharedFixtures.PaperKeys));
        var expected = document.RootElement.GetProperty("keys").EnumerateArray()
            .Select(e => (Key: e[0].GetString()!, Shape: e[1].EnumerateArray().Select(x => x.GetInt64()).ToArray()))
            .Where(e => e.Key.StartsWith("encoder.", StringComparison.Ordinal))
            .ToList();

        using var model = new DinoVisionTransformer(Dinov2Options.VitB14Reg4);
        var actual = model.state_dict().Select(kv => (Key: "encoder." + kv.Key, Shape: kv.Value.shape)).ToList();

        Assert.Equal(expected.Select(e => e.Key), actual.Select(a => a.Key));
        for (int i = 0; i < expected.Count; i++) Assert.True(expected[i].Shape.SequenceEqual(actual[i].Shape), expected[i].Key);
        long parameters = model.parameters().Sum(p => p.numel());
        Assert.Equal(document.RootElement.GetProperty("encoder_parameters").GetInt64(), parameters);
    }

    [Fact]
    public void Plain_ViT_S14_has_no_register_tokens_and_a_37_by_37_positional_grid()
    {
        using var model = new DinoVisionTransformer(Dinov2Options.VitS14);
        var keys = model.state_dict();
        Assert.DoesNotContain("register_tokens", keys.Keys);
        Assert.Equal(new long[] { 1, 1 + 37 * 37, 384 }, keys["pos_embed"].shape);
        Assert.Equal(new long[] { 1536, 384 }, keys["blocks.11.mlp.fc1.weight"].shape);
    }

    [Theory]
    [InlineData("vit-s14", "dinov2_vits14")]
    [InlineData("vits14_reg4", "dinov2_vits14_reg4")]
    [InlineData("dinov2_vitb14_reg4", "dinov2_vitb14_reg4")]
    [InlineData("ViT-L14", "dinov2_vitl14")]
    [InlineData("tiny", "dinov2_tiny_reg4")]
    public void Presets_are_found_by_short_and_registry_names(string name, string expected)
    {
        Assert.Equal(expected, Dinov2Options.FromName(name).Name);
    }

    [Fact]
    public void Unknown_model_name_error_names_it()
    {
        var e = Assert.Throws<ArgumentException>(() => Dinov2Options.FromName("vit-h14"));
        Assert.Contains("vit-h14", e.Message);
    }

    [Fact]
    public void Width_not_divisible_by_heads_is_rejected_with_both_values()
    {
        var e = Assert.Throws<ArgumentException>(() => (Dinov2Options.Tiny with { Heads = 5 }).Validate());
        Assert.Contains("64", e.Message);
        Assert.Contains("5", e.Message);
    }

    [Fact]
    public void Tiny_preset_is_the_parity_fixture_configuration()
    {
        var tiny = Dinov2Options.Tiny;
        Assert.Equal((64, 10, 4, 4, 14, 256), (tiny.Width, tiny.Depth, tiny.Heads, tiny.RegisterTokens, tiny.PatchSize, tiny.MlpHidden));
    }
}
