using AnomalyMoE.Baselines;
using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Engine;

/// <summary>
/// The PatchCore-style baseline in the same engine: per category a greedy-coreset memory bank of training patch features
/// (the mean of the tapped token maps, as the component level uses); a patch's score is its distance to the nearest bank
/// feature; maps go through the same fusion post-processing (normalise over the set, resize, Gaussian blur, top-1 % score).
/// </summary>
/// <remarks>The bank holds a coreset of the very images calibration scores, so their distances are optimistic: the threshold
/// errs towards flagging, and image AUROC (rank-based) is unaffected.</remarks>
public sealed class PatchCoreDetector : LevelMapDetector
{
    readonly Dictionary<string, PatchCoreMemoryBank> banks;
    readonly IFeatureEncoder encoder;
    readonly Device device;

    PatchCoreDetector(TrainingPreset preset, Dictionary<string, PatchCoreMemoryBank> banks, IFeatureEncoder encoder, Device device, RunCalibration calibration,
        DetectorSettings? settings) : base(calibration)
    {
        Preset = preset;
        Settings = settings ?? Detectors.SettingsOf(preset);
        this.banks = banks;
        this.encoder = encoder;
        this.device = device;
    }

    public override string Method => "patchcore";
    public TrainingPreset Preset { get; }
    public override DetectorSettings Settings { get; }
    public override IReadOnlyList<string> ExpertNames { get; } = [];

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

    protected override LevelPredictions PredictLevels(IReadOnlyList<ImageRecord> records, IProgress<ProgressUpdate>? progress, CancellationToken cancellationToken)
    {
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

    public override void Dispose()
    {
        foreach (var b in banks.Values) b.Dispose();
        banks.Clear();
        encoder.Dispose();
    }
}
