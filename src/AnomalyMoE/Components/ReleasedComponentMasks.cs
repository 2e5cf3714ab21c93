using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Components;

/// <summary>
/// Reads precomputed component masks in the layout the reference's segment_image.py writes and the authors release:
/// <c>&lt;root&gt;/&lt;category&gt;_heat_448/&lt;split&gt;/&lt;defect&gt;/&lt;image index&gt;/heatresult&lt;i&gt;.jpg</c>, one heat image per
/// cluster i, where the image index is the image's position in its folder's sorted file list. Masks are Otsu-thresholded
/// (reference test.py <c>MoEDataset.__getitem__</c>); background clusters are dropped by the rule of <c>filter_bg_noise</c>.
/// (The reference's training dataset looks for <c>train/heatresult&lt;i&gt;.jpg</c> without the per-image folders; this
/// reader always uses the per-image layout of its test dataset.)
/// </summary>
public static class ReleasedComponentMasks
{
    /// <summary>Side of the released heat images and of the reference's resize before its centre crop.</summary>
    public const int ReleasedSize = 448;

    /// <summary>Cluster indices kept when the category's folders give no evidence (the reference's default K = 5).</summary>
    public static readonly IReadOnlyList<int> DefaultComponents = [0, 1, 2, 3, 4];

    /// <summary>The folder of one image's heat files.</summary>
    public static string ImageFolder(string root, string category, string split, string defect, int imageIndex) =>
        Path.Combine(root, $"{category}_heat_{ReleasedSize}", split, defect, imageIndex.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// The non-background cluster indices of a category, judged on its first training image
    /// (<c>train/good/0</c> in numeric order): a cluster is kept when its 11×11-box-blurred heat exceeds 64 somewhere and its
    /// Otsu mask (threshold from the image without a 10 px border) touches fewer than three of the four 20×20 corners.
    /// Heat images smaller than 448 px are kept unjudged. Without the folders, <see cref="DefaultComponents"/>.
    /// </summary>
    public static IReadOnlyList<int> KeptComponents(string root, string category)
    {
        var trainGood = Path.Combine(root, $"{category}_heat_{ReleasedSize}", "train", "good");
        if (!Directory.Exists(trainGood)) return DefaultComponents;
        var first = Directory.GetDirectories(trainGood)
            .Select(d => (Dir: d, Ok: int.TryParse(Path.GetFileName(d), out var n), N: n))
            .Where(t => t.Ok).OrderBy(t => t.N).Select(t => t.Dir).FirstOrDefault();
        if (first is null) return DefaultComponents;
        var files = Directory.GetFiles(first, "heatresult?.jpg")
            .Where(f => char.IsAsciiDigit(Path.GetFileNameWithoutExtension(f)[^1]))
            .OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length == 0) return DefaultComponents;

        var kept = new List<int>();
        foreach (var file in files)
        {
            var index = Path.GetFileNameWithoutExtension(file)[^1] - '0';
            var gray = GrayImage.Load(file);
            if (gray.Width < ReleasedSize || gray.Height < ReleasedSize)
            {
                kept.Add(index);
                continue;
            }
            if (IsComponent(gray)) kept.Add(index);
        }
        return kept;
    }

    /// <summary>The reference's per-heat-image background test (see <see cref="KeptComponents"/>).</summary>
    public static bool IsComponent(GrayImage heat)
    {
        int h = heat.Height, w = heat.Width;
        var inner = heat.Crop(10, 10, w - 20, h - 20);
        var threshold = OtsuThreshold.Compute(inner.Pixels);
        bool Touches(int top, int left)
        {
            for (int y = top; y < top + 20; y++)
            for (int x = left; x < left + 20; x++)
                if (heat[y, x] > threshold) return true;
            return false;
        }
        var corners = (Touches(0, 0) ? 1 : 0) + (Touches(h - 20, 0) ? 1 : 0) + (Touches(0, w - 20) ? 1 : 0) + (Touches(h - 20, w - 20) ? 1 : 0);
        var strongest = heat.BoxBlur(11).Pixels.Max();
        return strongest > 64 && corners < 3;
    }

    /// <summary>
    /// One image's masks <c>[n,H,W]</c> uint8 (1 inside), one per kept cluster whose file exists, in the given order: each heat
    /// image converted to luma, resized nearest to <paramref name="resizeTo"/>² (default 448), centre-cropped to
    /// <paramref name="height"/>×<paramref name="width"/> (the reference's resize-448/crop-392 image transform) and
    /// Otsu-thresholded. No file → <c>[0,H,W]</c>.
    /// </summary>
    public static Tensor Read(string imageFolder, IReadOnlyList<int> components, int height, int width, int resizeTo = ReleasedSize)
    {
        if (height > resizeTo || width > resizeTo)
            throw new ArgumentException($"Released masks are resized to {resizeTo} px; a {height}×{width} crop does not fit.");
        var masks = new List<byte[]>();
        foreach (var i in components)
        {
            var path = Path.Combine(imageFolder, $"heatresult{i}.jpg");
            if (!File.Exists(path)) continue;
            var crop = GrayImage.Load(path).ResizeNearest(resizeTo, resizeTo)
                .Crop((resizeTo - width) / 2, (resizeTo - height) / 2, width, height);
            var t = OtsuThreshold.Compute(crop.Pixels);
            masks.Add(crop.Pixels.Select(v => v > t ? (byte)1 : (byte)0).ToArray());
        }
        if (masks.Count == 0) return zeros(0, height, width, dtype: uint8);
        var all = masks.SelectMany(m => m).ToArray();
        return tensor(all, [masks.Count, height, width]);
    }

    /// <summary>
    /// An image's index as the reference counts it: its position in the sorted list of the folder's <c>*.png</c>,
    /// <c>*.JPG</c> and <c>*.bmp</c> files (case-sensitive extensions, ordinal sort).
    /// </summary>
    public static int ImageIndex(string imagePath)
    {
        var full = Path.GetFullPath(imagePath);
        var folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{imagePath}' has no folder.", nameof(imagePath));
        var files = Directory.GetFiles(folder)
            .Where(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".JPG", StringComparison.Ordinal) || f.EndsWith(".bmp", StringComparison.Ordinal))
            .Select(Path.GetFullPath).OrderBy(f => f, StringComparer.Ordinal).ToList();
        var index = files.IndexOf(full);
        if (index < 0) throw new ArgumentException($"'{imagePath}' is not a .png, .JPG or .bmp file in its folder.", nameof(imagePath));
        return index;
    }
}
