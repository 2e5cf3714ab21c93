using AnomalyMoE.Runtime;

namespace AnomalyMoE.Training;

/// <summary>
/// The layout of a run directory: <c>config.json</c>, <c>checkpoints/last.ckpt</c> (the newest checkpoint, replaced
/// atomically), <c>losses.csv</c> (every loss component per iteration), <c>components/</c> (cached component segmenters),
/// <c>patchcore/</c> (the baseline's memory banks) and <c>reports/</c>.
/// </summary>
public sealed record RunDirectory(string Root)
{
    public string ConfigPath => Path.Combine(Root, "config.json");
    public string CheckpointDirectory => Path.Combine(Root, "checkpoints");
    public string LastCheckpointPath => Path.Combine(CheckpointDirectory, "last.ckpt");
    public string LossLogPath => Path.Combine(Root, "losses.csv");
    public string ComponentCacheDirectory => Path.Combine(Root, "components");
    public string PatchCoreDirectory => Path.Combine(Root, "patchcore");
    public string ReportsDirectory => Path.Combine(Root, "reports");

    /// <summary>Per-category level statistics and image thresholds of calibrated scoring (<see cref="Maps.RunCalibration"/>).</summary>
    public string CalibrationPath => Path.Combine(Root, "calibration.json");

    /// <summary>Creates the folders.</summary>
    public RunDirectory Create()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(CheckpointDirectory);
        Directory.CreateDirectory(ComponentCacheDirectory);
        return this;
    }

    /// <summary>Writes <c>config.json</c> atomically.</summary>
    public void WriteConfig(TrainingRunConfig config) => AtomicFile.WriteText(ConfigPath, config.ToJson());

    /// <summary>Reads <c>config.json</c>; the error names the run folder when it is not a run.</summary>
    public TrainingRunConfig ReadConfig()
    {
        if (!Directory.Exists(Root)) throw new AnomalyMoEException($"Run folder '{Root}' does not exist.");
        if (!File.Exists(ConfigPath)) throw new AnomalyMoEException($"'{Root}' is not a run folder: it has no config.json (train one with `amoe train --out {Root}`).");
        return TrainingRunConfig.FromJson(File.ReadAllText(ConfigPath), ConfigPath);
    }
}

/// <summary>"Training" the PatchCore baseline: building each category's memory bank in the run folder.</summary>
public static class PatchCoreTrainer
{
    public static IReadOnlyDictionary<string, long> Train(RunDirectory run, TrainingRunConfig config, DeviceChoice device,
        IProgress<ProgressUpdate>? progress = null, Encoders.EncoderPrecision precision = Encoders.EncoderPrecision.Float32)
    {
        if (config.Method != DetectionMethod.PatchCore) throw new AnomalyMoEException("PatchCoreTrainer builds patchcore runs only.");
        run.Create();
        run.WriteConfig(config);
        var catalog = Data.MvtecDatasetReader.Read(config.Sources());
        using var detector = (Evaluation.PatchCoreDetector)Evaluation.Detectors.Open(run, catalog.Categories, device, progress, precision);
        return detector.BankSizes;
    }
}
