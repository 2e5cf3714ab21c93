using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using AnomalyMoE.Model;
using AnomalyMoE.Objectives;
using AnomalyMoE.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Training;

/// <summary>How a training run executes (not part of the run's identity, so not in config.json).</summary>
/// <param name="Device">Where to train.</param>
/// <param name="Resume">Continue from <c>checkpoints/last.ckpt</c> when it exists.</param>
/// <param name="StopAfter">Stop (with a checkpoint) after this many completed iterations, leaving the schedule at the
/// full length: an interrupted run that <see cref="Resume"/> continues exactly.</param>
/// <param name="CheckpointEvery">Overrides the preset's checkpoint interval.</param>
/// <param name="Precision">Number format of the frozen encoder (bf16 is meant for CUDA); everything trained stays float32.</param>
/// <param name="FeatureCacheMiB">Host memory for the encoder's token maps of the (unchanging) training view, so epochs after
/// the first skip the encoder for it (<see cref="EncoderFeatureCache"/>); 0 encodes every batch.</param>
public sealed record TrainingSettings(DeviceChoice Device = DeviceChoice.Auto, bool Resume = false, int? StopAfter = null, int? CheckpointEvery = null,
    EncoderPrecision Precision = EncoderPrecision.Float32, int FeatureCacheMiB = TrainingSettings.DefaultFeatureCacheMiB)
{
    /// <summary>Default feature-cache budget: the whole synthetic benchmark or MVTec AD at the CPU presets fits.</summary>
    public const int DefaultFeatureCacheMiB = 4096;
}

/// <summary>What a training run did.</summary>
public sealed record TrainingResult(int StartIteration, int CompletedIterations, int TotalIterations, bool Interrupted, TimeSpan Elapsed,
    double ImagesPerSecond, long PeakWorkingSetBytes, IReadOnlyDictionary<int, long> WorkingSetAt);

/// <summary>
/// Unified AnomalyMoE training (reference train.py): one model on every category of every root, a shuffled endless loader,
/// and per iteration the main step — reconstruction + λ_EIR·EIR + λ_ESB·ESB, gradient norm clipped at 0.1 (over experts and
/// router jointly, or per level: <see cref="GradientClipScope"/>), StableAdamW under the warm-cosine schedule, stepping or
/// holding unselected experts (<see cref="UnselectedExpertUpdate"/>) — then the CLUB estimators' step on a gradient-free forward pass with
/// their own Adam (clipped at 0.1). The encoder is frozen; its token maps are computed once per batch and fed to both passes.
/// Randomness (dropout, EIR pairs and permutations) is re-seeded from (seed, iteration) at every iteration, and the data
/// order depends only on the seed and the batch position, so a resumed run repeats an uninterrupted one exactly.
/// </summary>
public static class AnomalyMoETrainer
{
    /// <summary>Loss components in losses.csv.</summary>
    public static IReadOnlyList<string> LossComponents { get; } = ["total", "reconstruction", "patch", "global", "component", "esb", "eir", "estimator"];

    /// <summary>Gradient-norm limit of both steps (train.py <c>clip_grad_norm_(…, max_norm=0.1)</c>).</summary>
    public const double GradientClip = 0.1;

    public static TrainingResult Train(RunDirectory run, TrainingRunConfig config, TrainingSettings settings,
        IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default, IterationProfile? profile = null)
    {
        TorchRuntime.EnsureLoaded();
        if (config.Method != DetectionMethod.AnomalyMoE)
            throw new AnomalyMoEException($"AnomalyMoETrainer trains the anomalymoe method; this run is {config.Method} (use PatchCoreTrainer).");
        if (settings.FeatureCacheMiB < 0)
            throw new AnomalyMoEException($"The feature cache budget must not be negative; got {settings.FeatureCacheMiB} MiB.");
        if (settings.CheckpointEvery is < 1)
            throw new AnomalyMoEException($"--checkpoint-every must be at least 1, got {settings.CheckpointEvery}.");
        if (settings.StopAfter is < 1)
            throw new AnomalyMoEException($"--stop-after must be at least 1, got {settings.StopAfter}.");
        // config.json records the encoder's number format, so a resumed run cannot silently switch it.
        config = config with { Precision = settings.Precision == EncoderPrecision.Float32 ? null : settings.Precision };
        run.Create();
        TrainingCheckpoint? checkpoint = null;
        if (settings.Resume) run.CompleteRotation();
        if (settings.Resume && File.Exists(run.LastCheckpointPath))
        {
            checkpoint = run.LoadLastCheckpoint();
            try
            {
                var saved = TrainingRunConfig.FromJson(checkpoint.Texts["config"], run.LastCheckpointPath);
                // Without --iters the resumed run keeps the saved schedule length.
                config = config with { Iterations = config.Iterations ?? saved.Iterations };
                Switches.RunSwitches.RequireSameIdentity(Switches.TrainingRun.Saved(saved, settings), new Switches.TrainingRun(config, settings), run.LastCheckpointPath);
            }
            catch
            {
                checkpoint.Dispose();
                throw;
            }
        }
        run.WriteConfig(config);
        var preset = config.ResolvePreset();
        var device = TorchRuntime.Resolve(settings.Device);
        int total = preset.Iterations;
        int stopAt = Math.Min(total, settings.StopAfter ?? total);
        int checkpointEvery = settings.CheckpointEvery ?? preset.CheckpointEvery;
        var clock = Stopwatch.StartNew();

        // Normals held out for calibration never reach training (CalibrationHoldout).
        var catalog = CalibrationHoldout.Apply(MvtecDatasetReader.Read(config.Sources()), preset.Scoring == ScoringMode.Calibrated ? preset.CalibrationHoldout : 0);
        var trainRecords = catalog.Split(DatasetSplit.Train);
        if (trainRecords.Count < preset.BatchSize)
            throw new AnomalyMoEException($"Training needs at least one batch ({preset.BatchSize} images); the data holds {trainRecords.Count} training images.");

        using var encoder = EncoderFactory.Create(preset, config.EncoderWeights, device, settings.Precision);
        CheckEncoder(encoder, preset);
        using var masks = ComponentMaskSet.FitOrLoad(run.ComponentCacheDirectory, catalog.Categories, encoder, preset, device, progress, config.ComponentMasks);
        using var features = new EncoderFeatureCache(encoder, preset.Model.TapLayers, settings.FeatureCacheMiB * 1024L * 1024L);

        var options = preset.Model;
        var (model, eir) = ModelStates.Initial(options, config.Seed);
        using var ownedModel = model;
        using var ownedEstimators = eir;
        model.to(device);
        eir.to(device);
        var trainable = model.named_parameters().Where(p => !p.name.StartsWith("encoder.", StringComparison.Ordinal)).ToList();
        using var optimizer = new StableAdamW(trainable, StableAdamWOptions.Reference with { LearningRate = preset.LearningRate });
        using var estimatorOptimizer = new Adam(eir.named_parameters(), preset.LearningRate, weightDecay: 1e-4);
        var schedule = new WarmCosineSchedule(preset.LearningRate, preset.LearningRate * 0.01, total, preset.WarmupIterations).Validate();

        int start = 0;
        if (checkpoint is not null)
        {
            using (checkpoint)
            {
                ModelStates.Restore(checkpoint, model, eir);
                optimizer.LoadStateDict(checkpoint.Section("optimizer"));
                // Checkpoints written before empty sections were listed drop the never-stepped estimator optimiser of a run without EIR.
                if (options.Objectives.UseEir || checkpoint.Sections.ContainsKey("estimator_optimizer"))
                    estimatorOptimizer.LoadStateDict(checkpoint.Section("estimator_optimizer"));
                start = checkpoint.Iteration;
            }
        }
        if (start >= stopAt)
            return new TrainingResult(start, start, total, false, clock.Elapsed, 0, Process.GetCurrentProcess().PeakWorkingSet64, new Dictionary<int, long>());

        using var log = LossLog.Open(run.LossLogPath, LossComponents, keepBefore: start);
        var loader = new ImageBatchLoader(trainRecords, preset.Transform,
            new BatchLoaderOptions(preset.BatchSize, Shuffle: true, Seed: config.Seed, Endless: true, WithJitter: preset.GlobalView == GlobalExpertView.Jittered && preset.Model.GlobalExperts > 0));
        var workingSet = new Dictionary<int, long>();
        int completed = start;
        bool interrupted = false;
        var trainClock = Stopwatch.StartNew();
        using (var batches = loader.Batches(CancellationToken.None).GetEnumerator())
        {
            for (int skipped = 0; skipped < start; skipped++)
            {
                batches.MoveNext();
                batches.Current.Dispose();
            }
            progress.Report("train", start, total);
            for (int it = start; it < stopAt; it++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    interrupted = true;
                    break;
                }
                profile?.Start();
                if (!batches.MoveNext()) throw new InvalidOperationException("The endless training loader ended.");
                using var batch = batches.Current;
                profile?.Lap("data");
                var values = Iteration(it, batch, config.Seed, preset, model, eir, features, masks, optimizer, estimatorOptimizer, schedule, device, profile);
                profile?.EndIteration();
                log.Append(it, values["lr"], values);
                completed = it + 1;
                if (completed == 100 || completed == 1000) workingSet[completed] = Environment.WorkingSet;
                progress.Report("train", completed, total, values);
                if (completed % checkpointEvery == 0 && completed < stopAt)
                    SaveCheckpoint(run, config, completed, model, eir, optimizer, estimatorOptimizer, schedule);
            }
        }
        trainClock.Stop();
        SaveCheckpoint(run, config, completed, model, eir, optimizer, estimatorOptimizer, schedule);
        workingSet[completed] = Environment.WorkingSet;
        var images = (double)(completed - start) * preset.BatchSize;
        return new TrainingResult(start, completed, total, interrupted, clock.Elapsed, images / Math.Max(trainClock.Elapsed.TotalSeconds, 1e-9),
            Process.GetCurrentProcess().PeakWorkingSet64, workingSet);
    }

    /// <summary>
    /// One training iteration (<see cref="ModelBatch.ForTraining"/>, then <see cref="Step"/>); returns the learning rate and
    /// every loss component.
    /// </summary>
    public static Dictionary<string, double> Iteration(int iteration, ImageBatch batch, int seed, TrainingPreset preset, AnomalyMoEModel model,
        ExpertInformationRepulsion eir, EncoderFeatureCache features, ComponentMaskSet? masks, StableAdamW optimizer, Adam estimatorOptimizer,
        WarmCosineSchedule schedule, Device device, IterationProfile? profile = null)
    {
        manual_seed(IterationSeed(seed, iteration, 0));
        var random = new Random((int)(IterationSeed(seed, iteration, 1) & 0x7FFFFFFF));
        using var scope = NewDisposeScope();
        profile?.Start();
        using var inputs = ModelBatch.ForTraining(batch, preset, features, masks, device, profile);
        return Step(model, eir, inputs.Input, optimizer, estimatorOptimizer, schedule.At(iteration), random, preset.GradientClipping, preset.UnselectedExperts, profile,
            preset.Model.Objectives.HardMining.At(iteration));
    }

    /// <summary>
    /// The optimisation of one batch (train.py loop body): the main step on reconstruction + EIR + ESB with gradient
    /// clipping and StableAdamW at <paramref name="learningRate"/>, then — when EIR is on — the estimators' step on a
    /// gradient-free forward pass. Returns the learning rate and every loss component.
    /// </summary>
    public static Dictionary<string, double> Step(AnomalyMoEModel model, ExpertInformationRepulsion eir, AnomalyMoEInput input,
        StableAdamW optimizer, Adam estimatorOptimizer, double learningRate, Random random, GradientClipScope clipScope = GradientClipScope.Joint,
        UnselectedExpertUpdate unselected = UnselectedExpertUpdate.Step, IterationProfile? profile = null, HardMiningOptions? hardMining = null)
    {
        var options = model.Options;
        if (hardMining is not null) options = options with { Objectives = options.Objectives with { HardMining = hardMining } };
        bool reuseFeatures = options.Objectives.EstimatorFeatures == EstimatorFeatures.MainForward;
        (Tensor[] Patch, Tensor[] Global)? mainFeatures = null;
        optimizer.LearningRate = learningRate;
        model.train();
        eir.eval();
        optimizer.ZeroGrad();
        var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["lr"] = learningRate };
        profile?.Start();
        using (var output = model.forward(input))
        {
            profile?.Lap("forward");
            using var terms = AnomalyMoELoss.Compute(output, options, options.Objectives.UseEir ? eir : null, random);
            profile?.Lap("loss");
            terms.Total.backward();
            profile?.Lap("backward");
            GradientClipping.Clip(model, clipScope, GradientClip);
            profile?.Lap("clip");
            optimizer.Step(unselected == UnselectedExpertUpdate.Hold ? UnselectedExperts.Prefixes(output.Routing.Mask, options) : null);
            foreach (var (name, value) in terms.Values()) values[name] = value;
            if (options.Objectives.UseEir && reuseFeatures)
            {
                var (patchFeatures, globalFeatures) = AnomalyMoELoss.ExpertFeatures(output);
                mainFeatures = (patchFeatures.Select(f => f.detach().clone()).ToArray(), globalFeatures.Select(f => f.detach().clone()).ToArray());
            }
            profile?.Lap("optimiser");
        }

        if (options.Objectives.UseEir)
        {
            eir.train();
            estimatorOptimizer.ZeroGrad();
            AnomalyMoEOutput? again = null;
            if (mainFeatures is null)
                using (no_grad()) again = model.forward(input);
            profile?.Lap("estimator forward");
            using (again)
            using (var estimatorLoss = again is not null
                ? AnomalyMoELoss.EstimatorLoss(again, eir, random)
                : eir.EstimatorLoss(mainFeatures!.Value.Patch, mainFeatures.Value.Global, random))
            {
                // No level ran two experts (one level of patch or global experts, or sparse execution that skipped the
                // rest): there is no pair to estimate, so the estimators keep their weights and the log leaves the term empty.
                if (estimatorLoss.requires_grad)
                {
                    estimatorLoss.backward();
                    nn.utils.clip_grad_norm_(estimatorOptimizer.Parameters, GradientClip);
                    estimatorOptimizer.Step();
                    values["estimator"] = estimatorLoss.item<float>();
                }
            }
            profile?.Lap("estimator step");
            if (mainFeatures is { } held)
                foreach (var f in held.Patch.Concat(held.Global)) f.Dispose();
        }
        return values;
    }

    /// <summary>A 63-bit seed from (seed, iteration, stream) by SplitMix64 mixing.</summary>
    public static long IterationSeed(int seed, int iteration, int stream)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)iteration * 0xBF58476D1CE4E5B9UL + (ulong)stream * 0x94D049BB133111EBUL + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (long)((z ^ (z >> 31)) >> 1);
    }

    static void CheckEncoder(IFeatureEncoder encoder, TrainingPreset preset)
    {
        if (encoder.Info.Width != preset.Model.EmbedDim)
            throw new AnomalyMoEException($"Encoder {encoder.Info.Name} has width {encoder.Info.Width}; preset '{preset.Name}' expects {preset.Model.EmbedDim}.");
        if (preset.Model.TapLayers.Max() >= encoder.Info.LayerCount)
            throw new AnomalyMoEException($"Preset '{preset.Name}' taps layer {preset.Model.TapLayers.Max()}; encoder {encoder.Info.Name} has {encoder.Info.LayerCount}.");
    }

    /// <summary>Writes the run's state atomically to <c>checkpoints/last.ckpt</c>, keeping the one it replaces as previous.ckpt.</summary>
    static void SaveCheckpoint(RunDirectory run, TrainingRunConfig config, int completed, AnomalyMoEModel model, ExpertInformationRepulsion eir,
        StableAdamW optimizer, Adam estimatorOptimizer, WarmCosineSchedule schedule)
    {
        using var checkpoint = new TrainingCheckpoint { Iteration = completed };
        checkpoint.Sections["model"] = Clone(model.state_dict().Where(kv => !kv.Key.StartsWith("encoder.", StringComparison.Ordinal)));
        checkpoint.Sections["estimator"] = Clone(eir.state_dict());
        checkpoint.Sections["optimizer"] = optimizer.StateDict();
        checkpoint.Sections["estimator_optimizer"] = estimatorOptimizer.StateDict();
        checkpoint.Texts["config"] = config.ToJson();
        checkpoint.Texts["schedule"] = JsonSerializer.Serialize(new { base_value = schedule.BaseValue, final_value = schedule.FinalValue, total_iterations = schedule.TotalIterations, warmup_iterations = schedule.WarmupIterations, next_iteration = completed });
        checkpoint.Texts["data"] = JsonSerializer.Serialize(new { seed = config.Seed, batches_consumed = completed, rng = "per-iteration reseed from (seed, iteration)" });
        run.SaveCheckpoint(checkpoint);
    }

    static Dictionary<string, Tensor> Clone(IEnumerable<KeyValuePair<string, Tensor>> tensors) =>
        tensors.ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone(), StringComparer.Ordinal);

}
