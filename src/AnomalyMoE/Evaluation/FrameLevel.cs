namespace AnomalyMoE.Evaluation;

/// <summary>One video frame's anomaly score and its ground truth (a frame is anomalous when its mask is not empty).</summary>
public sealed record FrameScore(string Clip, string Frame, double Score, bool Anomalous);

/// <summary>
/// Frame-level AUROC for UCSD Ped2 as the paper reports it: every test frame of every clip pooled into one
/// ROC, scores used as they are (no per-clip normalisation). The converted Ped2 names frames
/// <c>&lt;clip&gt;_&lt;frame&gt;.png</c> under <c>test/good</c> and <c>test/anomaly</c>, which give clip, frame and label.
/// </summary>
public static class FrameLevelAuroc
{
    public static double Pooled(IReadOnlyList<FrameScore> frames)
    {
        if (frames.Count == 0) throw new ArgumentException("Frame-level AUROC needs at least one frame.");
        var duplicate = frames.GroupBy(f => (f.Clip, f.Frame)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new ArgumentException($"Frame {duplicate.Key.Frame} of clip {duplicate.Key.Clip} is scored twice.");
        var negatives = frames.Where(f => !f.Anomalous).Select(f => f.Score).ToList();
        var positives = frames.Where(f => f.Anomalous).Select(f => f.Score).ToList();
        if (negatives.Count == 0 || positives.Count == 0)
            throw new ArgumentException($"Frame-level AUROC needs normal and anomalous frames; got {negatives.Count} normal and {positives.Count} anomalous.");
        return RankAuroc.Compute(negatives, positives);
    }

    /// <summary>Clip and frame from a converted Ped2 file name <c>&lt;clip&gt;_&lt;frame&gt;.png</c>.</summary>
    public static (string Clip, string Frame) ParseConvertedName(string fileName)
    {
        var stem = Path.GetFileNameWithoutExtension(fileName);
        int cut = stem.LastIndexOf('_');
        if (cut <= 0 || cut == stem.Length - 1) throw new ArgumentException($"'{fileName}' is not a converted Ped2 frame name (<clip>_<frame>.png).");
        return (stem[..cut], stem[(cut + 1)..]);
    }
}
