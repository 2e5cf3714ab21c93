using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data.Preparation;

/// <summary>
/// MVTec LOCO AD: images keep their places (<c>train/good</c>, <c>validation/good</c>,
/// <c>test/{good,logical_anomalies,structural_anomalies}</c>). Its ground truth is a folder of masks per image
/// (<c>ground_truth/&lt;defect&gt;/&lt;id&gt;/000.png, 001.png…</c>, one per defect region, pixel value = defect id):
/// their union is written as <c>ground_truth/&lt;defect&gt;/&lt;id&gt;_mask.png</c> (0/255), and the original folders and
/// <c>defects_config.json</c> are kept for sPRO (<see cref="Evaluation.LocoSpro"/>).
/// </summary>
public sealed class MvtecLocoConverter : IDatasetConverter
{
    public const string Folder = "mvtec_loco";
    public const string DefectsConfigFile = "defects_config.json";

    public IReadOnlyList<string> OutputFolders => [Folder];

    public void Convert(ConversionContext context)
    {
        var categories = context.FindDirectories(d => Directory.Exists(Path.Combine(d, "train", "good"))
                                                      && Directory.Exists(Path.Combine(d, "test"))
                                                      && File.Exists(Path.Combine(d, DefectsConfigFile)));
        if (categories.Count == 0)
            throw new AnomalyMoEException(
                $"No MVTec LOCO category (a folder with train/good, test and {DefectsConfigFile}) was found under {context.SourceRoot}.");
        var output = context.Output(Folder);
        int done = 0;
        foreach (var category in categories)
        {
            var name = Path.GetFileName(category);
            var target = Path.Combine(output, name);
            MvtecAdConverter.CopyMvtecCategory(context, category, target, Folder, name);
            foreach (var defectDir in ConversionContext.DirectoriesIn(Path.Combine(category, MvtecLayout.GroundTruth)))
            {
                var defect = Path.GetFileName(defectDir);
                foreach (var regionDir in ConversionContext.DirectoriesIn(defectDir))
                {
                    var id = Path.GetFileName(regionDir);
                    var regionMasks = ConversionContext.FilesIn(regionDir, ".png");
                    if (regionMasks.Count == 0) throw new AnomalyMoEException($"{regionDir} holds no mask.");
                    var union = UnionOf(regionMasks);
                    var unionPath = Path.Combine(target, MvtecLayout.GroundTruth, defect, MvtecLayout.MaskName(id));
                    Directory.CreateDirectory(Path.GetDirectoryName(unionPath)!);
                    ImageFiles.WriteBinaryMaskPng(unionPath, union);
                    context.Summary.AddMask(Folder, name, MvtecLayout.Test, defect);
                    foreach (var mask in regionMasks)
                        context.Place(mask, Path.Combine(target, MvtecLayout.GroundTruth, defect, id, Path.GetFileName(mask)));
                }
            }
            context.Report("convert mvtec_loco", ++done, categories.Count);
        }
    }

    static GrayImage<bool> UnionOf(IReadOnlyList<string> masks)
    {
        var first = ImageFiles.ReadMaskNonZero(masks[0]);
        var union = (bool[])first.Pixels.Clone();
        foreach (var path in masks.Skip(1))
        {
            var next = ImageFiles.ReadMaskNonZero(path);
            if (next.Width != first.Width || next.Height != first.Height)
                throw new AnomalyMoEException($"{path} is {next.Width}×{next.Height} but {masks[0]} is {first.Width}×{first.Height}.");
            for (int i = 0; i < union.Length; i++) union[i] |= next.Pixels[i];
        }
        return first with { Pixels = union };
    }
}
