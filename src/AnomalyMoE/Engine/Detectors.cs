using AnomalyMoE.Baselines;
using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using AnomalyMoE.Model;
using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Engine;

/// <summary>Opens the detector a run folder holds.</summary>
public static class Detectors
{
    /// <summary>What evaluation reads of <paramref name="preset"/>.</summary>
    public static DetectorSettings SettingsOf(TrainingPreset preset) => new(preset.Name, preset.Transform, preset.Scoring, preset.LevelFusion);

    /// <summary>
    /// What evaluation reads of a run: its preset's settings and the switches that define it, resolved (metrics.json's
    /// <c>switches</c>, keyed as config.json keys them). The data roots are left out, being the report's categories; a
    /// PatchCore run has no experts, so of the method switches it reports only its scoring.
    /// </summary>
    public static DetectorSettings SettingsOf(TrainingRunConfig config, TrainingPreset preset)
    {
        var run = new TrainingRun(config, new TrainingSettings());
        bool patchCore = config.Method == DetectionMethod.PatchCore;
        var reported = RunSwitches.All.Where(s => s.Identity && s.JsonKey is not null && s != RunSwitches.Data
            && (!patchCore || !RunSwitches.MethodSwitches.Contains(s) || s == RunSwitches.Scoring || s == RunSwitches.Holdout));
        return SettingsOf(preset) with { Switches = reported.ToDictionary(s => s.JsonKey!, s => s.Effective(run, preset)) };
    }

    /// <summary>
    /// The trained detector of a run: the AnomalyMoE model from <c>checkpoints/last.ckpt</c>, or the PatchCore memory banks.
    /// Component segmenters (and banks) for categories of <paramref name="categories"/> that the run lacks are fitted on
    /// those categories' training images and cached in the run. <paramref name="precision"/> is the frozen encoder's number
    /// format (an execution choice, independent of how the run was trained).
    /// </summary>
    public static IAnomalyDetector Open(RunDirectory run, IEnumerable<CategoryInfo> categories, DeviceChoice deviceChoice,
        IProgress<ProgressUpdate>? progress = null, EncoderPrecision precision = EncoderPrecision.Float32)
    {
        TorchRuntime.EnsureLoaded();
        var config = run.ReadConfig();
        var preset = config.ResolvePreset();
        var device = TorchRuntime.Resolve(deviceChoice);
        // The calibration hold-out stays out of the segmenters and PatchCore banks fitted here, as it stayed out of training.
        double holdout = preset.Scoring == ScoringMode.Calibrated ? preset.CalibrationHoldout : 0;
        var categoryList = categories.Select(c => CalibrationHoldout.Apply(c, holdout)).ToList();
        var calibration = RunCalibration.Load(run.CalibrationPath);
        var encoder = EncoderFactory.Create(preset, config.EncoderWeights, device, precision);
        IAnomalyDetector detector;
        try
        {
            if (config.Method == DetectionMethod.PatchCore)
            {
                detector = PatchCoreDetector.FitOrLoad(run, preset, encoder, categoryList, device, progress, calibration, SettingsOf(config, preset));
            }
            else
            {
                run.CompleteRotation();
                if (!File.Exists(run.LastCheckpointPath))
                    throw new AnomalyMoEException($"Run '{run.Root}' has no checkpoint ({run.LastCheckpointPath}); train it first.");
                var masks = ComponentMaskSet.FitOrLoad(run.ComponentCacheDirectory, categoryList, encoder, preset, device, progress, config.ComponentMasks);
                var layouts = preset.Model.GlobalExperts > 0 && preset.Model.Global.Map == GlobalMapKind.LayoutMemory
                    ? LayoutMemorySet.FitOrLoad(LayoutMemorySet.CacheDirectory(run), categoryList, encoder, preset, device, progress)
                    : null;
                var components = preset.Model.ComponentExperts > 0 && preset.Model.Component.Map == ComponentMapKind.Memory
                    ? ComponentMemorySet.Fit(categoryList, encoder, masks, preset, device, progress)
                    : null;
                var model = new AnomalyMoEModel(preset.Model, null);
                ModelStates.RestoreLast(run, model);
                model.to(device);
                model.eval();
                var settings = SettingsOf(config, preset) with { Notes = [.. layouts?.Notes ?? [], .. components?.Notes ?? []] };
                detector = new AnomalyMoEDetector(preset, model, encoder, masks, device, calibration, settings, layouts, components);
            }
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
        if (preset.Scoring != ScoringMode.Calibrated) return detector;
        try
        {
            var missing = categoryList.Where(c => !calibration.Categories.ContainsKey(c.Key)).ToList();
            foreach (var category in missing)
            {
                var normals = CalibrationHoldout.CalibrationNormals(category, holdout);
                if (normals.Count == 0) throw new AnomalyMoEException($"Category '{category.Key}' has no training images to calibrate its scores on.");
                calibration.Set(category.Key, detector.Calibrate(normals, progress));
            }
            if (missing.Count > 0) calibration.Save(run.CalibrationPath);
            return detector;
        }
        catch
        {
            detector.Dispose();
            throw;
        }
    }
}

/// <summary>
/// AnomalyMoE inference: per-level maps of every image, then fusion — over the whole set (reference test.py) or calibrated
/// per category (<see cref="SetScoring"/>).
/// </summary>
/// <remarks>With <see cref="GlobalMapKind.LayoutMemory"/> the global level's map of each category <paramref name="layouts"/> covers
/// comes from its memory, and with <see cref="ComponentMapKind.Memory"/> the component level's map of each category
/// <paramref name="components"/> covers; such a map is unweighted by the router, since no expert drew it.</remarks>
public sealed class AnomalyMoEDetector(TrainingPreset preset, AnomalyMoEModel model, IFeatureEncoder encoder, ComponentMaskSet masks, Device device,
    RunCalibration? calibration = null, DetectorSettings? settings = null, LayoutMemorySet? layouts = null, ComponentMemorySet? components = null)
    : IAnomalyDetector
{
    readonly RunCalibration calibration = calibration ?? RunCalibration.Empty();

    public string Method => "anomalymoe";
    public TrainingPreset Preset => preset;
    public DetectorSettings Settings { get; } = settings ?? Detectors.SettingsOf(preset);
    public AnomalyMoEModel Model => model;

    public IReadOnlyList<string> ExpertNames { get; } = preset.Model.Layout.ExpertNames;

    public SetPredictions Predict(IReadOnlyList<ImageRecord> records, IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        if (records.Count == 0) throw new AnomalyMoEException("No images to evaluate.");
        using var levels = PredictLevels(records, progress, cancellationToken);
        var category = calibration.Categories.GetValueOrDefault(records[0].CategoryKey);
        return SetScoring.Score(records, levels.Levels, levels.Selected, Settings, category);
    }

    public CategoryCalibration Calibrate(IReadOnlyList<ImageRecord> normals, IProgress<ProgressUpdate>? progress = null)
    {
        using var levels = PredictLevels(normals, progress, CancellationToken.None);
        return SetScoring.Calibrate(levels.Levels, Settings);
    }

    LevelPredictions PredictLevels(IReadOnlyList<ImageRecord> records, IProgress<ProgressUpdate>? progress, CancellationToken cancellationToken)
    {
        var o = preset.Model;
        var loader = new ImageBatchLoader(records, preset.Transform, new BatchLoaderOptions(preset.EvaluationBatchSize, WithJitter: false));
        var patch = new List<Tensor>();
        var global = new List<Tensor>();
        var component = new List<Tensor>();
        var weights = new List<Tensor>();
        var selected = new List<float[]>();
        var globalByMemory = new List<bool>();      // per image, whether a layout memory drew its global map
        var componentByMemory = new List<bool>();   // per image, whether a component memory drew its component map
        int done = 0;
        try
        {
            using var noGrad = no_grad();
            model.eval();
            foreach (var batch in loader.Batches(cancellationToken))
            {
                using (batch)
                using (var scope = NewDisposeScope())
                {
                    using var inputs = ModelBatch.ForEvaluation(batch, preset, encoder, masks, device);
                    var (images, tokens) = (inputs.Images, inputs.Tokens);
                    using var output = model.forward(inputs.Input);
                    using var levels = model.LevelMaps(output, images.shape[2], images.shape[3]);
                    if (levels.Patch is { } p) patch.Add(p.cpu().DetachFromDisposeScope());
                    if (levels.Global is { } g)
                    {
                        global.Add((layouts is null ? g : layouts.Map(batch.Records, tokens, g)).cpu().DetachFromDisposeScope());
                        globalByMemory.AddRange(batch.Records.Select(r => layouts?.Covers(r) ?? false));
                    }
                    if (levels.Component is { } c)
                    {
                        // With component experts the batch always has masks, so the output holds their features.
                        component.Add((components is null ? c : components.Map(batch.Records, output.Components!, inputs.ComponentMasks!, c)).cpu().DetachFromDisposeScope());
                        componentByMemory.AddRange(batch.Records.Select(r => components?.Covers(r) ?? false));
                    }
                    weights.Add(output.Routing.Weights.cpu().DetachFromDisposeScope());
                    using var mask = output.Routing.Mask.cpu().to_type(ScalarType.Float32);
                    for (int b = 0; b < batch.Count; b++) selected.Add(mask[b].data<float>().ToArray());
                }
                done += batch.Count;
                progress.Report("evaluate", done, records.Count);
            }
            using var allWeights = cat(weights, 0);
            var levelsOut = new List<LevelMap>();
            foreach (var (parts, level) in new[] { patch, global, component }.Zip(o.Layout.Levels))
            {
                if (parts.Count == 0 || level.Count == 0) continue;
                var groupWeight = allWeights[.., level.Slice].amax([1]).contiguous();
                var (memoryChosen, memoryScored) = level.Name switch
                {
                    ExpertLevels.Global => (layouts is not null, globalByMemory),
                    ExpertLevels.Component => (components is not null, componentByMemory),
                    _ => (false, new List<bool>()),
                };
                // A level meant to be drawn by a memory keeps its trained map where no memory covers the category: it is still
                // scored alone, but left out of the fused score, since the trained map scores at chance at the cpu budgets and its
                // statistics on a few memorised clips miss unseen normals by far (docs/engine.md, Global map, Component map).
                bool fused = !memoryChosen || memoryScored.Contains(true);
                if (memoryScored.Contains(true))
                {
                    // No expert drew a memory's map, so no routing weight applies to it.
                    using var byMemory = tensor(memoryScored.ToArray());
                    using var routed = groupWeight;
                    using var unweighted = ones_like(routed);
                    groupWeight = where(byMemory, unweighted, routed);
                }
                levelsOut.Add(new LevelMap(level.Name, cat(parts, 0), groupWeight, fused));
            }
            return new LevelPredictions(levelsOut, selected.ToArray());
        }
        finally
        {
            foreach (var t in patch.Concat(global).Concat(component).Concat(weights)) t.Dispose();
        }
    }

    public void Dispose()
    {
        model.Dispose();
        masks.Dispose();
        layouts?.Dispose();
        components?.Dispose();
        encoder.Dispose();
    }
}

/// <summary>
/// The PatchCore-style baseline in the same engine: per category a greedy-coreset memory bank of training patch features
/// (the mean of the tapped token maps, as the component level uses); a patch's score is its distance to the nearest bank
/// feature; maps go through the same fusion post-processing (normalise over the set, resize, Gaussian blur, top-1 % score).
/// </summary>
public sealed class PatchCoreDetector : IAnomalyDetector
{
    readonly Dictionary<string, PatchCoreMemoryBank> banks;
    readonly IFeatureEncoder encoder;
    readonly Device device;

    readonly RunCalibration calibration;

    PatchCoreDetector(TrainingPreset preset, Dictionary<string, PatchCoreMemoryBank> banks, IFeatureEncoder encoder, Device device, RunCalibration calibration,
        DetectorSettings? settings)
    {
        Preset = preset;
        Settings = settings ?? Detectors.SettingsOf(preset);
        this.calibration = calibration;
        this.banks = banks;
        this.encoder = encoder;
        this.device = device;
    }

    public string Method => "patchcore";
    public TrainingPreset Preset { get; }
    public DetectorSettings Settings { get; }
    public IReadOnlyList<string> ExpertNames { get; } = [];

    /// <summary>Loads each category's bank from <c>patchcore/</c> or builds it from the category's training images.</summary>
    public static PatchCoreDetector FitOrLoad(RunDirectory run, TrainingPreset preset, IFeatureEncoder encoder, IEnumerable<CategoryInfo> categories,
        Device device, IProgress<ProgressUpdate>? progress = null, RunCalibration? calibration = null, DetectorSettings? settings = null)
    {
        Directory.CreateDirectory(run.PatchCoreDirectory);
        var banks = new Dictionary<string, PatchCoreMemoryBank>(StringComparer.Ordinal);
        try
        {
            foreach (var category in categories)
            {
                var path = Path.Combine(run.PatchCoreDirectory, category.Key.Replace('/', '_') + ".pth");
                if (File.Exists(path))
                {
                    var loaded = TorchFile.LoadTensors(path);
                    banks[category.Key] = PatchCoreMemoryBank.FromTensor(loaded["bank"]);
                    foreach (var t in loaded.Values) t.Dispose();
                    continue;
                }
                var train = category.Train.ToList();
                if (train.Count == 0) throw new AnomalyMoEException($"Category '{category.Key}' has no training images for its memory bank.");
                using var features = EncodedImages.Collect(train, preset, encoder, device, tokens => PatchRows(FeatureMap(tokens, encoder.Info.PrefixTokens)));
                var bank = PatchCoreMemoryBank.Build(features, preset.PatchCore, progress);
                TorchFile.SaveTensors(new Dictionary<string, Tensor> { ["bank"] = bank.Bank }, path);
                banks[category.Key] = bank;
            }
        }
        catch
        {
            foreach (var b in banks.Values) b.Dispose();
            throw;
        }
        return new PatchCoreDetector(preset, banks, encoder, device, calibration ?? RunCalibration.Empty(), settings);
    }

    /// <summary>Number of bank features per category.</summary>
    public IReadOnlyDictionary<string, long> BankSizes => banks.ToDictionary(kv => kv.Key, kv => kv.Value.Bank.shape[0]);

    /// <summary>A channel-first map <c>[B,D,h,w]</c> as one row per patch, <c>[B·h·w, D]</c>.</summary>
    static Tensor PatchRows(Tensor map) => map.permute(0, 2, 3, 1).reshape(-1, map.shape[1]);

    static Tensor FeatureMap(EncoderOutput tokens, int prefixTokens) =>
        ComponentFeatures.MeanTokenMap(tokens.Layers, prefixTokens, tokens.GridH, tokens.GridW);

    public SetPredictions Predict(IReadOnlyList<ImageRecord> records, IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        using var levels = PredictLevels(records, progress, cancellationToken);
        var category = calibration.Categories.GetValueOrDefault(records[0].CategoryKey);
        return SetScoring.Score(records, levels.Levels, levels.Selected, Settings, category);
    }

    public CategoryCalibration Calibrate(IReadOnlyList<ImageRecord> normals, IProgress<ProgressUpdate>? progress = null)
    {
        // The bank holds a coreset of these very images, so their distances are optimistic: the threshold errs towards
        // flagging, and image AUROC (rank-based) is unaffected.
        using var levels = PredictLevels(normals, progress, CancellationToken.None);
        return SetScoring.Calibrate(levels.Levels, Settings);
    }

    LevelPredictions PredictLevels(IReadOnlyList<ImageRecord> records, IProgress<ProgressUpdate>? progress, CancellationToken cancellationToken)
    {
        if (records.Count == 0) throw new AnomalyMoEException("No images to evaluate.");
        var key = records[0].CategoryKey;
        if (!banks.TryGetValue(key, out var bank)) throw new AnomalyMoEException($"The PatchCore run has no memory bank for category '{key}'.");
        var loader = new ImageBatchLoader(records, Preset.Transform, new BatchLoaderOptions(Preset.EvaluationBatchSize, WithJitter: false));
        var maps = new List<Tensor>();
        int done = 0;
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in loader.Batches(cancellationToken))
            {
                using (batch)
                using (var scope = NewDisposeScope())
                {
                    var images = batch.Images.to(device);
                    using var tokens = encoder.Encode(images, Preset.Model.TapLayers);
                    var map = FeatureMap(tokens, encoder.Info.PrefixTokens);
                    var queries = PatchRows(map).cpu();
                    var distances = bank.Score(queries).reshape(map.shape[0], 1, map.shape[2], map.shape[3]);
                    maps.Add(LevelMaps.ToImage(distances, images.shape[2], images.shape[3]).DetachFromDisposeScope());
                }
                done += batch.Count;
                progress.Report("evaluate", done, records.Count);
            }
            var all = cat(maps, 0);
            return new LevelPredictions([new LevelMap(Method, all, torch.ones(all.shape[0]))], records.Select(_ => Array.Empty<float>()).ToArray());
        }
        finally
        {
            foreach (var m in maps) m.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var b in banks.Values) b.Dispose();
        banks.Clear();
        encoder.Dispose();
    }
}
