using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data.Preparation;

/// <summary>
/// MVTec AD is already in the target layout (<c>&lt;category&gt;/train/good</c>, <c>test/&lt;defect&gt;</c>,
/// <c>ground_truth/&lt;defect&gt;/&lt;stem&gt;_mask.png</c>): the categories are placed under <c>mvtec_ad/</c> as they are.
/// </summary>
public sealed class MvtecAdConverter : IDatasetConverter
{
    public const string Folder = "mvtec_ad";

    public IReadOnlyList<string> OutputFolders => [Folder];

    public void Convert(ConversionContext context)
    {
        var categories = context.FindDirectories(d => Directory.Exists(Path.Combine(d, "train", "good")) && Directory.Exists(Path.Combine(d, "test")));
        if (categories.Count == 0)
            throw new AnomalyMoEException($"No MVTec AD category (a folder with train/good and test) was found under {context.SourceRoot}.");
        var output = context.Output(Folder);
        int done = 0;
        foreach (var category in categories)
        {
            var name = Path.GetFileName(category);
            CopyMvtecCategory(context, category, Path.Combine(output, name), Folder, name);
            context.Report("convert mvtec_ad", ++done, categories.Count);
        }
    }

    /// <summary>Places an MVTec-layout category (train, test, ground_truth, and validation when present) and counts it.</summary>
    internal static void CopyMvtecCategory(ConversionContext context, string source, string target, string dataset, string category)
    {
        foreach (var split in new[] { MvtecLayout.Train, MvtecLayout.Validation, MvtecLayout.Test })
        {
            foreach (var defectDir in ConversionContext.DirectoriesIn(Path.Combine(source, split)))
            {
                var defect = Path.GetFileName(defectDir);
                foreach (var file in ConversionContext.FilesIn(defectDir, ".png", ".jpg", ".jpeg"))
                {
                    context.Place(file, Path.Combine(target, split, defect, Path.GetFileName(file)));
                    context.Summary.AddImage(dataset, category, split, defect);
                }
            }
        }
        foreach (var defectDir in ConversionContext.DirectoriesIn(Path.Combine(source, MvtecLayout.GroundTruth)))
        {
            var defect = Path.GetFileName(defectDir);
            foreach (var file in ConversionContext.FilesIn(defectDir, ".png"))
            {
                context.Place(file, Path.Combine(target, MvtecLayout.GroundTruth, defect, Path.GetFileName(file)));
                context.Summary.AddMask(dataset, category, MvtecLayout.Test, defect);
            }
        }
        foreach (var file in ConversionContext.FilesIn(source))
            context.Place(file, Path.Combine(target, Path.GetFileName(file)));
    }
}
