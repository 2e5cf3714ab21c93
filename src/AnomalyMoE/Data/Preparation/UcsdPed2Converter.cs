using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data.Preparation;

/// <summary>
/// UCSD Ped2 (<c>UCSDped2/Train/TrainNNN/*.tif</c>, <c>Test/TestNNN/*.tif</c>, pixel masks
/// <c>Test/TestNNN_gt/*.bmp</c>) as one category <c>Ped2/pedestrian</c>. Frames are converted TIFF → PNG and
/// named <c>&lt;clip&gt;_&lt;frame&gt;.png</c> because frame names repeat across clips. Train frames go to
/// <c>train/good</c>; a test frame with an empty mask goes to <c>test/good</c>, others to <c>test/anomaly</c>
/// with their mask. Frame-level AUROC over all test frames: <see cref="Evaluation.FrameLevelAuroc"/>.
/// </summary>
public sealed class UcsdPed2Converter : IDatasetConverter
{
    public const string Folder = "Ped2";
    public const string Category = "pedestrian";
    public const string AnomalyDefect = "anomaly";

    public IReadOnlyList<string> OutputFolders => [Folder];

    public void Convert(ConversionContext context)
    {
        var roots = context.FindDirectories(d => Path.GetFileName(d).Equals("UCSDped2", StringComparison.OrdinalIgnoreCase)
                                                 && Directory.Exists(Path.Combine(d, "Train")) && Directory.Exists(Path.Combine(d, "Test")));
        if (roots.Count == 0)
            throw new AnomalyMoEException($"No UCSDped2 folder with Train and Test was found under {context.SourceRoot}.");
        var root = roots[0];
        var category = Path.Combine(context.Output(Folder), Category);

        var trainClips = ConversionContext.DirectoriesIn(Path.Combine(root, "Train"));
        var testClips = ConversionContext.DirectoriesIn(Path.Combine(root, "Test")).Where(d => !d.EndsWith("_gt", StringComparison.OrdinalIgnoreCase)).ToList();
        int done = 0, total = trainClips.Count + testClips.Count;
        foreach (var clip in trainClips)
        {
            var clipName = Path.GetFileName(clip);
            foreach (var frame in ConversionContext.FilesIn(clip, ".tif", ".tiff"))
            {
                var name = $"{clipName}_{Path.GetFileNameWithoutExtension(frame)}.png";
                ImageFiles.WriteGrayPng(Ensure(Path.Combine(category, MvtecLayout.Train, MvtecLayout.Good, name)), ImageFiles.ReadGrayTiff8(frame));
                context.Summary.AddImage(Folder, Category, MvtecLayout.Train, MvtecLayout.Good);
            }
            context.Report("convert Ped2", ++done, total);
        }
        foreach (var clip in testClips)
        {
            var clipName = Path.GetFileName(clip);
            var gtDir = clip + "_gt";
            if (!Directory.Exists(gtDir))
                throw new AnomalyMoEException($"{clip} has no pixel masks ({gtDir} is missing); UCSD Ped2 ships masks for every test clip.");
            var masks = ConversionContext.FilesIn(gtDir, ".bmp", ".png", ".tif")
                .ToDictionary(m => FrameKey(Path.GetFileNameWithoutExtension(m)), StringComparer.Ordinal);
            foreach (var frame in ConversionContext.FilesIn(clip, ".tif", ".tiff"))
            {
                var frameStem = Path.GetFileNameWithoutExtension(frame);
                if (!masks.TryGetValue(FrameKey(frameStem), out var maskPath))
                    throw new AnomalyMoEException($"{frame} has no mask in {gtDir}.");
                var mask = ImageFiles.ReadMaskNonZero(maskPath);
                var stem = $"{clipName}_{frameStem}";
                bool anomalous = mask.Pixels.Any(p => p);
                var defect = anomalous ? AnomalyDefect : MvtecLayout.Good;
                ImageFiles.WriteGrayPng(Ensure(Path.Combine(category, MvtecLayout.Test, defect, stem + ".png")), ImageFiles.ReadGrayTiff8(frame));
                context.Summary.AddImage(Folder, Category, MvtecLayout.Test, defect);
                if (anomalous)
                {
                    ImageFiles.WriteBinaryMaskPng(Ensure(Path.Combine(category, MvtecLayout.GroundTruth, defect, MvtecLayout.MaskName(stem))), mask);
                    context.Summary.AddMask(Folder, Category, MvtecLayout.Test, defect);
                }
            }
            context.Report("convert Ped2", ++done, total);
        }
    }

    // Mask files are named like their frames (001.bmp for 001.tif); compare by the frame number so either padding matches.
    static string FrameKey(string stem) => int.TryParse(stem, out var n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : stem;

    static string Ensure(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }
}
