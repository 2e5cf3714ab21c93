using AnomalyMoE.Runtime;

namespace AnomalyMoE.Training;

/// <summary>
/// The layout of a run directory: <c>config.json</c>, <c>checkpoints/last.ckpt</c> (the newest checkpoint, replaced
/// atomically) and <c>checkpoints/previous.ckpt</c> (the one before it, so a damaged last file costs one checkpoint
/// interval: move previous.ckpt over last.ckpt and resume), <c>losses.csv</c> (every loss component per iteration), <c>components/</c> (cached component segmenters),
/// <c>patchcore/</c> (the baseline's memory banks) and <c>reports/</c>.
/// </summary>
public sealed record RunDirectory(string Root)
{
    public string ConfigPath => Path.Combine(Root, "config.json");
    public string CheckpointDirectory => Path.Combine(Root, "checkpoints");
    public string LastCheckpointPath => Path.Combine(CheckpointDirectory, "last.ckpt");

    /// <summary>The checkpoint <see cref="LastCheckpointPath"/> replaced on its latest save.</summary>
    public string PreviousCheckpointPath => Path.Combine(CheckpointDirectory, "previous.ckpt");

    /// <summary>A complete new checkpoint waiting to become last.ckpt (present only if a save was cut off while rotating).</summary>
    string NextCheckpointPath => Path.Combine(CheckpointDirectory, "next.ckpt");
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

    /// <summary>
    /// Saves <paramref name="checkpoint"/> as last.ckpt, keeping the file it replaces as previous.ckpt. The new file is
    /// written completely (as next.ckpt) before either rename, and each rename is atomic, so at every moment the folder
    /// holds a complete newest checkpoint; <see cref="CompleteRotation"/> finishes a save cut off between the renames.
    /// </summary>
    public void SaveCheckpoint(TrainingCheckpoint checkpoint)
    {
        Directory.CreateDirectory(CheckpointDirectory);
        checkpoint.Save(NextCheckpointPath);
        if (File.Exists(LastCheckpointPath)) File.Move(LastCheckpointPath, PreviousCheckpointPath, overwrite: true);
        File.Move(NextCheckpointPath, LastCheckpointPath, overwrite: true);
    }

    /// <summary>Makes a complete next.ckpt left by an interrupted <see cref="SaveCheckpoint"/> the last checkpoint.</summary>
    public void CompleteRotation()
    {
        if (File.Exists(NextCheckpointPath) && !File.Exists(LastCheckpointPath)) File.Move(NextCheckpointPath, LastCheckpointPath);
    }

    /// <summary>
    /// Loads last.ckpt; when it cannot be read, the error names it and tells how to continue from previous.ckpt.
    /// </summary>
    public TrainingCheckpoint LoadLastCheckpoint()
    {
        CompleteRotation();
        try
        {
            return TrainingCheckpoint.Load(LastCheckpointPath);
        }
        catch (Exception e) when (e is InvalidDataException or AnomalyMoEException or EndOfStreamException)
        {
            var fallback = File.Exists(PreviousCheckpointPath)
                ? $" The checkpoint before it is kept: move '{PreviousCheckpointPath}' over '{LastCheckpointPath}' (mv \"{PreviousCheckpointPath}\" \"{LastCheckpointPath}\") and run again with --resume; training repeats at most one checkpoint interval."
                : " No earlier checkpoint is kept beside it (previous.ckpt is missing); train the run again.";
            throw new AnomalyMoEException($"The checkpoint '{LastCheckpointPath}' is damaged and cannot be read ({e.Message}).{fallback}", e);
        }
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
