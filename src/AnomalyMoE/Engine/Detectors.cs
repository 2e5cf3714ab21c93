using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using AnomalyMoE.Model;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using AnomalyMoE.Training.Switches;
using TorchSharp;

namespace AnomalyMoE.Engine;

/// <summary>Opens the detector a run folder holds.</summary>
public static class Detectors
{
    /// <summary>What evaluation reads of <paramref name="preset"/>.</summary>
    public static DetectorSettings SettingsOf(TrainingPreset preset) => new(preset.Name, preset.Transform, preset.Scoring, preset.Fusion);

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
