using AnomalyMoE.Encoders.Dinov2;
using AnomalyMoE.Model;
using AnomalyMoE.Objectives;
using AnomalyMoE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Model;

public class AnomalyMoEModelTests
{
    static IReadOnlyDictionary<string, Tensor> E => Seed0Tensors.Expected;
    static readonly string Seed0Model = Path.Combine(SharedFixtures.Seed0, "model.pth");

    static AnomalyMoEInput Seed0Input() => new(E["input.image_st"], E["input.image_ae"], FixtureTokens.Masks());

    /// <summary>A random tiny model (D = 64) on small 112 px images: fast, every level on unless switched off.</summary>
    static (AnomalyMoEModel Model, AnomalyMoEInput Input) TinyRandom(Func<AnomalyMoEOptions, AnomalyMoEOptions>? change = null)
    {
        var options = (change ?? (o => o))(AnomalyMoEOptions.OfficialTinyFixture);
        var model = AnomalyMoEModel.CreateRandom(options, seed: 11);
        model.eval();
        var generator = new Generator(12);
        var image = randn(2, 3, 112, 112, generator: generator);
        var jittered = randn(2, 3, 112, 112, generator: generator);
        IReadOnlyList<Tensor> masks = [rand(3, 112, 112, generator: generator).gt(0.5), rand(1, 112, 112, generator: generator).gt(0.5)];
        return (model, new AnomalyMoEInput(image, jittered, masks));
    }

    static double Diff(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().max();
        return d.item<float>();
    }

    [Fact]
    public void Sparse_mode_skips_unselected_experts_and_reproduces_dense_losses_maps_and_scores()
    {
        using var scope = NewDisposeScope();
        using var model = AnomalyMoEModel.Load(Seed0Model, AnomalyMoEOptions.OfficialTinyFixture);
        using var sparseModel = AnomalyMoEModel.Load(Seed0Model, AnomalyMoEOptions.OfficialTinyFixture with { Execution = ExpertExecution.Sparse });
        model.eval();
        sparseModel.eval();
        using var _ = no_grad();
        var noEir = AnomalyMoEOptions.OfficialTinyFixture with { Objectives = ObjectiveOptions.Paper with { UseEir = false } };

        using var dense = model.forward(Seed0Input());
        using var sparse = sparseModel.forward(Seed0Input());
        // Which experts run follows from the fixture's recorded routing: an expert runs exactly when some image gave it weight.
        using var recordedSelected = E["out.routing_weights"].gt(0).any(0);
        var recorded = recordedSelected.data<bool>().ToArray();
        var options = AnomalyMoEOptions.OfficialTinyFixture;
        (string Level, int Offset, IReadOnlyList<object?> Sparse, IReadOnlyList<object?> Dense)[] levels =
        [
            ("patch", 0, sparse.Patch, dense.Patch),
            ("global", options.Layout.Global.Offset, sparse.Global, dense.Global),
            ("component", options.Layout.Component.Offset, sparse.ComponentReconstructions, dense.ComponentReconstructions),
        ];
        int skipped = 0;
        foreach (var (level, offset, sparseResults, denseResults) in levels)
        {
            for (int j = 0; j < sparseResults.Count; j++)
            {
                bool selected = recorded[offset + j];
                Assert.Equal(selected, sparse.Routing.AnySelected(offset + j));
                Assert.True(selected == (sparseResults[j] is not null), $"{level} expert {j}: selected {selected}, ran {sparseResults[j] is not null}");
                Assert.NotNull(denseResults[j]);
                if (!selected) skipped++;
            }
        }
        // When the batch's selections cannot cover every expert, some expert must have been skipped.
        Assert.True(skipped > 0 || options.Router.TopK * dense.BatchSize >= options.TotalExperts, "sparse execution skipped no expert");

        using var denseLoss = AnomalyMoELoss.Compute(dense, noEir);
        using var sparseLoss = AnomalyMoELoss.Compute(sparse, noEir);
        Assert.Equal(denseLoss.Total.item<float>(), sparseLoss.Total.item<float>(), 6);
        Assert.Equal(denseLoss.Patch.item<float>(), sparseLoss.Patch.item<float>(), 6);
        Assert.Equal(denseLoss.Global.item<float>(), sparseLoss.Global.item<float>(), 6);
        Assert.Equal(denseLoss.Component.item<float>(), sparseLoss.Component.item<float>(), 6);

        using var denseMaps = model.LevelMaps(dense, 392, 392);
        using var sparseMaps = sparseModel.LevelMaps(sparse, 392, 392);
        Assert.Equal(0, Diff(denseMaps.Patch!, sparseMaps.Patch!));
        Assert.Equal(0, Diff(denseMaps.Global!, sparseMaps.Global!));
        Assert.Equal(0, Diff(denseMaps.Component!, sparseMaps.Component!));
        using var denseFused = model.Fuse(denseMaps, dense.Routing.Weights);
        using var sparseFused = sparseModel.Fuse(sparseMaps, sparse.Routing.Weights);
        Assert.Equal(0, Diff(denseFused.Scores, sparseFused.Scores));
    }

    [Fact]
    public void Precomputed_token_maps_give_the_same_routing_and_patch_maps_as_the_encoder()
    {
        using var scope = NewDisposeScope();
        using var withoutEncoder = new AnomalyMoEModel(AnomalyMoEOptions.OfficialTinyFixture with { GlobalExperts = 0, ComponentExperts = 0, Router = new(256, 1) }, null);
        // Only the patch experts are comparable with a reduced router; check the patch maps and a routing of the right width.
        withoutEncoder.PatchExperts[0].load_state_dict(Seed0Tensors.ModelSubtree("patch_experts.0."));
        withoutEncoder.PatchExperts[1].load_state_dict(Seed0Tensors.ModelSubtree("patch_experts.1."));
        withoutEncoder.eval();
        using var _ = no_grad();
        using var tokens = FixtureTokens.StudentView();
        using var output = withoutEncoder.forward(new AnomalyMoEInput(null, null) { ImageTokens = tokens });
        Assert.Equal(new long[] { 2, 2 }, output.Routing.Weights.shape);
        Assert.True(Seed0Tensors.MaxAbsError(output.Patch[1]!.DecoderMaps[0], E["out.patch1.de_map0"]) <= 1e-4);
        Assert.True(Seed0Tensors.MaxAbsError(output.EncoderMaps[1], E["out.patch0.en_map1"]) <= 1e-4);
    }

    [Theory]
    [InlineData(0, 2, 2)]
    [InlineData(2, 0, 2)]
    [InlineData(2, 2, 0)]
    [InlineData(0, 0, 3)]
    public void A_level_with_zero_experts_is_absent_from_weights_outputs_maps_and_loss(int patch, int global, int component)
    {
        using var scope = NewDisposeScope();
        var (model, input) = TinyRandom(o => o with { PatchExperts = patch, GlobalExperts = global, ComponentExperts = component, Router = new(256, Math.Min(3, patch + global + component)) });
        using (model)
        {
            var keys = model.state_dict().Keys.ToList();
            Assert.Equal(patch > 0, keys.Any(k => k.StartsWith("patch_experts.", StringComparison.Ordinal)));
            Assert.Equal(global > 0, keys.Any(k => k.StartsWith("global_experts.", StringComparison.Ordinal)));
            Assert.Equal(component > 0, keys.Any(k => k.StartsWith("component_experts.", StringComparison.Ordinal)));
            Assert.Equal(new long[] { patch + global + component, 256 }, model.state_dict()["gating_network.gate.2.weight"].shape);

            using var eir = new ExpertInformationRepulsion(new ExpertInformationRepulsionOptions(64));
            using var output = model.forward(input);
            Assert.Equal(patch + global + component, output.Routing.Weights.shape[1]);
            using var losses = AnomalyMoELoss.Compute(output, model.Options, eir, new Random(1));
            Assert.True(float.IsFinite(losses.Total.item<float>()));
            if (patch == 0) Assert.Equal(0f, losses.Patch.item<float>());
            if (global == 0) Assert.Equal(0f, losses.Global.item<float>());
            if (component == 0) Assert.Equal(0f, losses.Component.item<float>());

            using var maps = model.LevelMaps(output, 112, 112);
            Assert.Equal(patch > 0, maps.Patch is not null);
            Assert.Equal(global > 0, maps.Global is not null);
            Assert.Equal(component > 0, maps.Component is not null);
            using var fused = model.Fuse(maps, output.Routing.Weights);
            Assert.Equal(new long[] { 2 }, fused.Scores.shape);
            losses.Total.backward();
        }
    }

    [Fact]
    public void Total_loss_is_reconstruction_plus_weighted_esb_and_eir_and_each_can_be_switched_off()
    {
        using var scope = NewDisposeScope();
        var (model, input) = TinyRandom();
        using (model)
        {
            using var eir = new ExpertInformationRepulsion(new ExpertInformationRepulsionOptions(64));
            using var output = model.forward(input);
            var o = model.Options;
            using var all = AnomalyMoELoss.Compute(output, o, eir, new Random(3), new Generator(4));
            var expected = all.Reconstruction.item<float>() + 0.01f * all.Esb!.item<float>() + 1e-4f * all.Eir!.item<float>();
            Assert.Equal(expected, all.Total.item<float>(), 5);

            using var noEsb = AnomalyMoELoss.Compute(output, o with { Objectives = o.Objectives with { UseEsb = false } }, eir, new Random(3), new Generator(4));
            Assert.Null(noEsb.Esb);
            Assert.Equal(all.Reconstruction.item<float>() + 1e-4f * all.Eir!.item<float>(), noEsb.Total.item<float>(), 5);

            using var noEir = AnomalyMoELoss.Compute(output, o with { Objectives = o.Objectives with { UseEir = false } });
            Assert.Null(noEir.Eir);
            Assert.Equal(all.Reconstruction.item<float>() + 0.01f * all.Esb!.item<float>(), noEir.Total.item<float>(), 5);

            Assert.Throws<ArgumentNullException>(() => AnomalyMoELoss.Compute(output, o));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    public void Each_image_selects_exactly_top_k_experts_whose_weights_sum_to_one(int topK)
    {
        using var scope = NewDisposeScope();
        var (model, input) = TinyRandom(o => o with { Router = new(256, topK) });
        using (model)
        {
            using var _ = no_grad();
            using var output = model.forward(input);
            Assert.All(output.Routing.Mask.sum([1]).data<float>().ToArray(), s => Assert.Equal(topK, s));
            Assert.All(output.Routing.Weights.sum([1]).data<float>().ToArray(), s => Assert.Equal(1f, s, 5));
            Assert.Equal(0f, (output.Routing.Weights * (1 - output.Routing.Mask)).abs().max().item<float>());
        }
    }

    [Fact]
    public void Training_mode_reaches_the_experts_but_leaves_the_encoder_in_eval_mode()
    {
        var (model, input) = TinyRandom();
        using (model)
        {
            model.train();
            var encoder = ((Dinov2Encoder)model.FeatureEncoder!).Model;
            Assert.False(encoder.training);
            Assert.True(model.PatchExperts[0].training);
            Assert.True(model.Router.training);
        }
    }

    [Fact]
    public void The_loss_gradient_reaches_only_trainable_parameters()
    {
        using var scope = NewDisposeScope();
        var (model, input) = TinyRandom();
        using (model)
        {
            using var output = model.forward(input);
            var o = model.Options with { Objectives = model.Options.Objectives with { UseEir = false } };
            using var losses = AnomalyMoELoss.Compute(output, o);
            losses.Total.backward();
            Assert.All(model.named_parameters().Where(p => p.name.StartsWith("encoder.", StringComparison.Ordinal)), p => Assert.Null(p.parameter.grad));
            Assert.NotNull(model.Router.parameters().First().grad);
        }
    }

    [Fact]
    public void Repeated_training_steps_leave_no_live_tensors_behind()
    {
        var (model, input) = TinyRandom();
        using (model)
        using (var eir = new ExpertInformationRepulsion(new ExpertInformationRepulsionOptions(64)))
        {
            model.train();
            var random = new Random(5);
            void Step()
            {
                using var scope = NewDisposeScope();
                using (var output = model.forward(input))
                using (var losses = AnomalyMoELoss.Compute(output, model.Options, eir, random))
                {
                    losses.Total.backward();
                }
                using (no_grad())
                using (var output = model.forward(input))
                {
                    AnomalyMoELoss.EstimatorLoss(output, eir, random);
                }
                model.zero_grad();
            }
            Step();
            Step();
            var live = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
            for (int i = 0; i < 3; i++) Step();
            Assert.Equal(live, DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
        }
    }

    [Fact]
    public void Options_validation_names_the_bad_value()
    {
        var o = AnomalyMoEOptions.OfficialTinyFixture;
        Assert.Contains("PatchExperts", Assert.Throws<ArgumentOutOfRangeException>(() => (o with { PatchExperts = -1 }).Validate()).Message);
        Assert.Contains("TopK", Assert.Throws<ArgumentOutOfRangeException>(() => (o with { Router = new(256, 7) }).Validate()).Message);
        Assert.Contains("all 0", Assert.Throws<ArgumentException>(() => (o with { PatchExperts = 0, GlobalExperts = 0, ComponentExperts = 0 }).Validate()).Message);
        Assert.Contains("EmbedDim", Assert.Throws<ArgumentException>(() => (o with { EmbedDim = 32 }).Validate()).Message);
        Assert.Contains("groups", Assert.Throws<ArgumentException>(() => (o with { EncoderGroups = [[0, 1, 2, 3, 4, 5, 6, 7]] }).Validate()).Message);
        Assert.Contains("12", Assert.Throws<ArgumentOutOfRangeException>(() => (o with { TapLayers = [2, 3, 4, 5, 6, 7, 8, 12] }).Validate()).Message);
        Assert.Equal(18, AnomalyMoEOptions.Paper.TotalExperts);
        Assert.Same(AnomalyMoEOptions.Paper, AnomalyMoEOptions.Paper.Validate());
    }

    [Fact]
    public void Loading_a_checkpoint_of_another_configuration_lists_the_offending_keys()
    {
        var e = Assert.Throws<AnomalyMoE.Runtime.AnomalyMoEException>(() =>
            AnomalyMoEModel.Load(Seed0Model, AnomalyMoEOptions.OfficialTinyFixture with { PatchExperts = 3 }));
        Assert.Contains("patch_experts.2.", e.Message);
        Assert.Contains(Seed0Model, e.Message);
    }
}
