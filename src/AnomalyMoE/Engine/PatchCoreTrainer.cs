using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;

namespace AnomalyMoE.Engine;

/// <summary>"Training" the PatchCore baseline: building each category's memory bank in the run folder.</summary>
public static class PatchCoreTrainer
{
    public static IReadOnlyDictionary<string, long> Train(RunDirectory run, TrainingRunConfig config, DeviceChoice device,
        IProgress<ProgressUpdate>? progress = null, EncoderPrecision precision = EncoderPrecision.Float32)
    {
        if (config.Method != DetectionMethod.PatchCore) throw new AnomalyMoEException("PatchCoreTrainer builds patchcore runs only.");
        // config.json records the encoder's number format, as an AnomalyMoE run's does: the banks are built in it.
        config = config with { Precision = precision == EncoderPrecision.Float32 ? null : precision };
        var settings = new TrainingSettings(device, Precision: precision);
        // The folder's cached banks belong to the run its config.json describes; building another run there would reuse them.
        if (File.Exists(run.ConfigPath)
            && RunSwitches.IdentityDifferences(TrainingRun.Saved(run.ReadConfig(), settings), new TrainingRun(config, settings)) is { } differences)
            throw new AnomalyMoEException($"'{run.Root}' holds another run ({differences}); its PatchCore banks belong to the saved values. "
                + "Train with those, or into another --out folder.");
        run.Create();
        run.WriteConfig(config);
        var catalog = MvtecDatasetReader.Read(config.Sources());
        using var detector = (PatchCoreDetector)Detectors.Open(run, catalog.Categories, device, progress, precision);
        return detector.BankSizes;
    }
}
