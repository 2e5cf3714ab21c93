using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Tests.Support;
using AnomalyMoE.Training;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Training;

public sealed class ModelBatchTests
{
    static readonly TrainingPreset Micro = TrainingPresets.Micro;

    static ImageBatch Batch()
    {
        var records = new[] { "a", "b" }.Select(n => new ImageRecord($"/data/c/train/good/{n}.png", "d", "c", DatasetSplit.Train, "good", null)).ToList();
        return new ImageBatch(randn([2, 3, 56, 56], generator: new Generator(1)), randn([2, 3, 56, 56], generator: new Generator(2)), zeros(2, 1, 56, 56), records, 0);
    }

    // Under the plain view (micro, cpu-tiny) the global experts train on the image and its cached maps: one encoder pass
    // or none; under the reference's jittered view they see the jittered image and its own maps.
    [Theory]
    [InlineData(GlobalExpertView.Plain, 1)]
    [InlineData(GlobalExpertView.Jittered, 2)]
    public void Training_gives_the_global_experts_the_view_the_preset_names(GlobalExpertView view, int encoderCalls)
    {
        var preset = Micro with { GlobalView = view };
        var encoder = new CountingEncoder();
        using var cache = new EncoderFeatureCache(encoder, preset.Model.TapLayers, budgetBytes: 0);
        using var batch = Batch();
        using var model = ModelBatch.ForTraining(batch, preset, cache, masks: null, CPU);
        using var expected = ModelBatch.GlobalViewOf(view == GlobalExpertView.Plain ? batch.Images : batch.Jittered!, preset);

        Assert.Equal(encoderCalls, encoder.Calls);
        Assert.True(model.GlobalView!.allclose(expected, rtol: 0, atol: 0));
        Assert.Equal(view == GlobalExpertView.Plain, ReferenceEquals(model.Tokens, model.GlobalTokens));
        Assert.False(model.TestTime);
        Assert.False(model.Input.TestTime);
    }

    // Evaluation scores the image itself on the test-time groups; the loss target is only handed over when asked for.
    [Fact]
    public void Evaluation_sees_the_image_itself_on_the_test_time_groups()
    {
        var encoder = new CountingEncoder();
        using var batch = Batch();
        using var scored = ModelBatch.ForEvaluation(batch, Micro, encoder, masks: null, CPU);
        using var inspected = ModelBatch.ForEvaluation(batch, Micro, encoder, masks: null, CPU, withLossTarget: true);
        using var expected = ModelBatch.GlobalViewOf(batch.Images, Micro);

        Assert.True(scored.Input.TestTime);
        Assert.Null(scored.Input.JitteredTokens);
        Assert.Same(inspected.Tokens, inspected.Input.JitteredTokens);
        Assert.True(scored.GlobalView!.allclose(expected, rtol: 0, atol: 0));
    }

    // The model batch owns what it made, not the loader's batch: disposing it leaves the loaded images valid.
    [Fact]
    public void Disposing_the_model_batch_leaves_the_loaded_batch_intact()
    {
        using var batch = Batch();
        var before = batch.Images.sum().item<float>();
        ModelBatch.ForEvaluation(batch, Micro, new CountingEncoder(), masks: null, CPU).Dispose();
        Assert.Equal(before, batch.Images.sum().item<float>());
    }
}
