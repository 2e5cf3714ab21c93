using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data.Preparation;

/// <summary>
/// VisA: the split of <c>split_csv/1cls.csv</c> (columns <c>object,split,label,image,mask</c>) decides
/// train/test; normal images go to <c>good</c>, anomalous ones to <c>bad</c>; masks hold small class ids
/// and are binarised to 0/255 into <c>ground_truth/bad/&lt;stem&gt;.png</c> (the naming of the common
/// VisA preparation, which reference loaders expect). Images are copied unchanged (JPEG).
/// </summary>
public sealed class VisaConverter : IDatasetConverter
{
    public const string Folder = "VisA";
    public const string SplitFile = "split_csv/1cls.csv";

    public IReadOnlyList<string> OutputFolders => [Folder];

    public void Convert(ConversionContext context)
    {
        var roots = context.FindDirectories(d => File.Exists(Path.Combine(d, SplitFile)));
        if (roots.Count == 0)
            throw new AnomalyMoEException($"VisA's {SplitFile} was not found under {context.SourceRoot}: is this the VisA_20220922 archive?");
        var root = roots[0];
        var csvPath = Path.Combine(root, SplitFile);
        var rows = ReadSplit(csvPath);
        var output = context.Output(Folder);
        int done = 0;
        foreach (var row in rows)
        {
            var image = Path.Combine(root, row.Image);
            if (!File.Exists(image)) throw new AnomalyMoEException($"{csvPath} lists {row.Image}, which is not in the archive.");
            var stem = Path.GetFileNameWithoutExtension(row.Image);
            var defect = row.Anomalous ? "bad" : MvtecLayout.Good;
            context.Place(image, Path.Combine(output, row.Object, row.Split, defect, Path.GetFileName(row.Image)));
            context.Summary.AddImage(Folder, row.Object, row.Split, defect);
            if (row.Anomalous && row.Split == MvtecLayout.Test)
            {
                if (string.IsNullOrEmpty(row.Mask)) throw new AnomalyMoEException($"{csvPath}: anomalous test image {row.Image} has no mask.");
                var maskPath = Path.Combine(root, row.Mask);
                if (!File.Exists(maskPath)) throw new AnomalyMoEException($"{csvPath} lists mask {row.Mask}, which is not in the archive.");
                var mask = ImageFiles.ReadMaskNonZero(maskPath);
                var target = Path.Combine(output, row.Object, MvtecLayout.GroundTruth, "bad", stem + ".png");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                ImageFiles.WriteBinaryMaskPng(target, mask);
                context.Summary.AddMask(Folder, row.Object, row.Split, defect);
            }
            if (++done % 100 == 0 || done == rows.Count) context.Report("convert VisA", done, rows.Count);
        }
    }

    internal sealed record SplitRow(string Object, string Split, bool Anomalous, string Image, string Mask);

    /// <summary>Reads <c>1cls.csv</c>, checking its header and each row's split and label.</summary>
    internal static IReadOnlyList<SplitRow> ReadSplit(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToList();
        if (lines.Count == 0) throw new AnomalyMoEException($"{path} is empty.");
        var header = lines[0].Trim().Split(',').Select(h => h.Trim().ToLowerInvariant()).ToArray();
        int Col(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i
            : throw new AnomalyMoEException($"{path}: the header lacks the column '{name}' (found: {lines[0]}).");
        int obj = Col("object"), split = Col("split"), label = Col("label"), image = Col("image"), mask = Col("mask");
        var rows = new List<SplitRow>();
        for (int i = 1; i < lines.Count; i++)
        {
            var f = lines[i].Split(',').Select(x => x.Trim()).ToArray();
            if (f.Length < header.Length) throw new AnomalyMoEException($"{path} line {i + 1}: expected {header.Length} columns, found {f.Length}.");
            var s = f[split].ToLowerInvariant();
            if (s is not ("train" or "test")) throw new AnomalyMoEException($"{path} line {i + 1}: unknown split '{f[split]}'.");
            var l = f[label].ToLowerInvariant();
            if (l is not ("normal" or "anomaly")) throw new AnomalyMoEException($"{path} line {i + 1}: unknown label '{f[label]}'.");
            rows.Add(new SplitRow(f[obj], s, l == "anomaly", f[image], f[mask]));
        }
        return rows;
    }
}
