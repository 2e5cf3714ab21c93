using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data.Preparation;

/// <summary>
/// BMAD's three pixel-level sets — BraTS2021 brain MRI, liver CT (BTCV + LiTS) and RESC retinal OCT — from
/// their release layout (<c>train/good[/img]</c>, <c>valid|test/{good,Ungood}/img</c>, masks in
/// <c>Ungood/label</c> or <c>Ungood/anomaly_mask</c>) to <c>BMAD/{BrainMRI,LiverCT,RESC}</c> in the MVTec layout:
/// <c>train/good</c>, <c>test/{good,anomaly}</c>, <c>ground_truth/anomaly/&lt;stem&gt;_mask.png</c>; the validation split
/// goes to <c>validation/{good,anomaly}</c> with masks in <c>validation_ground_truth/anomaly</c> so names never
/// collide with test masks. Images are rewritten as opaque RGB PNG (the brain slices are colour-mapped RGBA).
/// </summary>
public sealed class BmadConverter : IDatasetConverter
{
    public const string Folder = "BMAD";
    public const string AnomalyDefect = "anomaly";
    public const string ValidationGroundTruth = "validation_ground_truth";

    /// <summary>Output category and the folder names the release has used for it.</summary>
    public static readonly IReadOnlyList<(string Category, string[] SourceNames)> Categories =
    [
        ("BrainMRI", ["Brain", "Brain_AD", "BrainMRI"]),
        ("LiverCT", ["Liver", "Liver_AD", "LiverCT"]),
        ("RESC", ["Retina_RESC", "RetinaRESC_AD", "RESC"]),
    ];

    public IReadOnlyList<string> OutputFolders => [Folder];

    public void Convert(ConversionContext context)
    {
        var output = context.Output(Folder);
        var missing = new List<string>();
        int done = 0;
        foreach (var (category, names) in Categories)
        {
            var found = context.FindDirectories(d => names.Contains(Path.GetFileName(d), StringComparer.OrdinalIgnoreCase)
                                                     && Directory.Exists(Path.Combine(d, "train")), maxDepth: 4);
            if (found.Count == 0) { missing.Add($"{category} ({string.Join(" or ", names)})"); continue; }
            var source = found[0];
            var target = Path.Combine(output, category);
            PlaceImages(context, FirstExisting(Path.Combine(source, "train", "good")), Path.Combine(target, MvtecLayout.Train, MvtecLayout.Good), category, MvtecLayout.Train, MvtecLayout.Good);
            foreach (var (sourceSplit, split, gtFolder) in new[] { ("valid", MvtecLayout.Validation, ValidationGroundTruth), ("test", MvtecLayout.Test, MvtecLayout.GroundTruth) })
            {
                var splitDir = Path.Combine(source, sourceSplit);
                if (!Directory.Exists(splitDir)) continue;
                PlaceImages(context, FirstExisting(Path.Combine(splitDir, "good")), Path.Combine(target, split, MvtecLayout.Good), category, split, MvtecLayout.Good);
                var ungood = Path.Combine(splitDir, "Ungood");
                if (!Directory.Exists(ungood)) continue;
                var images = FirstExisting(ungood);
                var maskDir = new[] { "label", "anomaly_mask" }.Select(m => Path.Combine(ungood, m)).FirstOrDefault(Directory.Exists)
                              ?? throw new AnomalyMoEException($"{ungood} has neither a label nor an anomaly_mask folder.");
                var masks = ConversionContext.FilesIn(maskDir, ".png").ToDictionary(m => Path.GetFileNameWithoutExtension(m), StringComparer.Ordinal);
                foreach (var image in ConversionContext.FilesIn(images, ".png"))
                {
                    var stem = Path.GetFileNameWithoutExtension(image);
                    if (!masks.TryGetValue(stem, out var mask)) throw new AnomalyMoEException($"{image} has no mask in {maskDir}.");
                    var imageTarget = Path.Combine(target, split, AnomalyDefect, stem + ".png");
                    Directory.CreateDirectory(Path.GetDirectoryName(imageTarget)!);
                    ImageFiles.WriteOpaquePng(image, imageTarget);
                    context.Summary.AddImage(Folder, category, split, AnomalyDefect);
                    var maskTarget = Path.Combine(target, gtFolder, AnomalyDefect, MvtecLayout.MaskName(stem));
                    Directory.CreateDirectory(Path.GetDirectoryName(maskTarget)!);
                    ImageFiles.WriteBinaryMaskPng(maskTarget, ImageFiles.ReadMaskNonZero(mask));
                    context.Summary.AddMask(Folder, category, split, AnomalyDefect);
                }
            }
            context.Report("convert BMAD", ++done, Categories.Count);
        }
        if (missing.Count == Categories.Count)
            throw new AnomalyMoEException($"None of BMAD's {string.Join(", ", missing)} folders was found under {context.SourceRoot}.");
        if (missing.Count > 0)
            throw new AnomalyMoEException($"BMAD folders missing under {context.SourceRoot}: {string.Join(", ", missing)}. Put all three in the folder or archive you pass.");
    }

    // Release versions differ: images sit either directly in good/ or in good/img/.
    static string FirstExisting(string dir) => Directory.Exists(Path.Combine(dir, "img")) ? Path.Combine(dir, "img") : dir;

    static void PlaceImages(ConversionContext context, string sourceDir, string targetDir, string category, string split, string defect)
    {
        foreach (var image in ConversionContext.FilesIn(sourceDir, ".png"))
        {
            Directory.CreateDirectory(targetDir);
            ImageFiles.WriteOpaquePng(image, Path.Combine(targetDir, Path.GetFileName(image)));
            context.Summary.AddImage(Folder, category, split, defect);
        }
    }
}
