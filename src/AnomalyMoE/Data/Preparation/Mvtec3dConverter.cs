using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data.Preparation;

/// <summary>
/// MVTec 3D-AD (<c>&lt;category&gt;/&lt;split&gt;/&lt;defect&gt;/{rgb/*.png, xyz/*.tiff, gt/*.png}</c>) as two sibling
/// datasets in the MVTec layout: <c>mvtec_ad_3d</c> (the RGB images) and <c>mvtec_ad_3d_depth</c> (depth from the
/// point cloud's z channel, see <see cref="DepthFromPointCloud"/>), sharing names and binarised masks.
/// </summary>
public sealed class Mvtec3dConverter : IDatasetConverter
{
    public const string RgbFolder = "mvtec_ad_3d";
    public const string DepthFolder = "mvtec_ad_3d_depth";

    public IReadOnlyList<string> OutputFolders => [RgbFolder, DepthFolder];

    public void Convert(ConversionContext context)
    {
        var categories = context.FindDirectories(d => Directory.Exists(Path.Combine(d, "train", "good", "rgb")));
        if (categories.Count == 0)
            throw new AnomalyMoEException($"No MVTec 3D-AD category (a folder with train/good/rgb) was found under {context.SourceRoot}.");
        int done = 0;
        foreach (var category in categories)
        {
            var name = Path.GetFileName(category);
            var rgbTarget = Path.Combine(context.Output(RgbFolder), name);
            var depthTarget = Path.Combine(context.Output(DepthFolder), name);
            foreach (var split in new[] { MvtecLayout.Train, MvtecLayout.Validation, MvtecLayout.Test })
            {
                foreach (var defectDir in ConversionContext.DirectoriesIn(Path.Combine(category, split)))
                {
                    var defect = Path.GetFileName(defectDir);
                    foreach (var rgb in ConversionContext.FilesIn(Path.Combine(defectDir, "rgb"), ".png"))
                    {
                        var stem = Path.GetFileNameWithoutExtension(rgb);
                        var xyz = new[] { ".tiff", ".tif" }.Select(e => Path.Combine(defectDir, "xyz", stem + e)).FirstOrDefault(File.Exists)
                                  ?? throw new AnomalyMoEException($"{rgb} has no point cloud {Path.Combine(defectDir, "xyz", stem + ".tiff")}.");
                        var depthPath = Path.Combine(depthTarget, split, defect, stem + ".png");
                        Directory.CreateDirectory(Path.GetDirectoryName(depthPath)!);
                        ImageFiles.WriteGray16Png(depthPath, DepthFromPointCloud.Convert(ImageFiles.ReadFloatTiffXyz(xyz)));
                        context.Summary.AddImage(DepthFolder, name, split, defect);
                        context.Place(rgb, Path.Combine(rgbTarget, split, defect, stem + ".png"));
                        context.Summary.AddImage(RgbFolder, name, split, defect);

                        var gt = Path.Combine(defectDir, "gt", stem + ".png");
                        if (defect == MvtecLayout.Good || !File.Exists(gt)) continue;
                        var mask = ImageFiles.ReadMaskNonZero(gt);
                        foreach (var (target, dataset) in new[] { (rgbTarget, RgbFolder), (depthTarget, DepthFolder) })
                        {
                            var maskPath = Path.Combine(target, MvtecLayout.GroundTruth, defect, MvtecLayout.MaskName(stem));
                            Directory.CreateDirectory(Path.GetDirectoryName(maskPath)!);
                            ImageFiles.WriteBinaryMaskPng(maskPath, mask);
                            context.Summary.AddMask(dataset, name, split, defect);
                        }
                    }
                }
            }
            context.Report("convert MVTec 3D-AD", ++done, categories.Count);
        }
    }
}

/// <summary>
/// Depth image from an MVTec 3D-AD organised point cloud (H×W×3 float, metres, missing points all zero):
/// <list type="number">
/// <item>valid points have a finite, positive z;</item>
/// <item>the background plane is fitted by least squares (z = a·x + b·y + c) to the valid points of a
/// <see cref="BorderWidth"/>-pixel border band, refitted once without points whose residual exceeds three
/// times the median (the border of these scenes is the support surface, as in 3D-ADS's plane removal);</item>
/// <item>valid points closer than <see cref="PlaneDistance"/> metres to that plane are background;</item>
/// <item>the remaining points' z is scaled linearly per image to 1…65535 (nearest = 1); background and missing
/// points are 0. Per-image scaling keeps the shape and drops the absolute distance.</item>
/// </list>
/// </summary>
public static class DepthFromPointCloud
{
    public const int BorderWidth = 10;
    public const double PlaneDistance = 0.005;

    public static GrayImage<ushort> Convert((int Width, int Height, float[] Xyz) cloud)
    {
        var (w, h, xyz) = cloud;
        var valid = new bool[w * h];
        for (int i = 0; i < valid.Length; i++)
        {
            float z = xyz[3 * i + 2];
            valid[i] = float.IsFinite(z) && z > 0 && float.IsFinite(xyz[3 * i]) && float.IsFinite(xyz[3 * i + 1]);
        }
        var foreground = (bool[])valid.Clone();
        int band = Math.Max(1, Math.Min(BorderWidth, Math.Min(w, h) / 4));
        var border = new List<int>();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if ((x < band || y < band || x >= w - band || y >= h - band) && valid[y * w + x]) border.Add(y * w + x);
        if (FitPlane(xyz, border) is { } plane)
        {
            var residuals = border.Select(i => Math.Abs(Residual(xyz, i, plane))).OrderBy(r => r).ToList();
            double median = residuals[residuals.Count / 2];
            var inliers = border.Where(i => Math.Abs(Residual(xyz, i, plane)) <= Math.Max(3 * median, 1e-9)).ToList();
            plane = FitPlane(xyz, inliers) ?? plane;
            double norm = Math.Sqrt(plane.A * plane.A + plane.B * plane.B + 1);
            for (int i = 0; i < valid.Length; i++)
                if (valid[i] && Math.Abs(Residual(xyz, i, plane)) / norm < PlaneDistance) foreground[i] = false;
        }
        float min = float.MaxValue, max = float.MinValue;
        for (int i = 0; i < foreground.Length; i++)
            if (foreground[i]) { min = Math.Min(min, xyz[3 * i + 2]); max = Math.Max(max, xyz[3 * i + 2]); }
        var depth = new ushort[w * h];
        for (int i = 0; i < depth.Length; i++)
        {
            if (!foreground[i]) continue;
            double t = max > min ? (xyz[3 * i + 2] - min) / (max - min) : 0.5;
            depth[i] = (ushort)(1 + Math.Round(t * 65534));
        }
        return new GrayImage<ushort>(w, h, depth);
    }

    readonly record struct Plane(double A, double B, double C);

    static double Residual(float[] xyz, int i, Plane p) => xyz[3 * i + 2] - (p.A * xyz[3 * i] + p.B * xyz[3 * i + 1] + p.C);

    /// <summary>Least-squares z = a·x + b·y + c on centred coordinates; null when the points are (nearly) collinear.</summary>
    static Plane? FitPlane(float[] xyz, IReadOnlyList<int> points)
    {
        if (points.Count < 3) return null;
        double mx = 0, my = 0, mz = 0;
        foreach (var i in points) { mx += xyz[3 * i]; my += xyz[3 * i + 1]; mz += xyz[3 * i + 2]; }
        mx /= points.Count; my /= points.Count; mz /= points.Count;
        double sxx = 0, sxy = 0, syy = 0, sxz = 0, syz = 0;
        foreach (var i in points)
        {
            double x = xyz[3 * i] - mx, y = xyz[3 * i + 1] - my, z = xyz[3 * i + 2] - mz;
            sxx += x * x; sxy += x * y; syy += y * y; sxz += x * z; syz += y * z;
        }
        double det = sxx * syy - sxy * sxy;
        if (det <= 1e-12 * sxx * syy || sxx == 0 || syy == 0) return null;
        double a = (sxz * syy - syz * sxy) / det;
        double b = (syz * sxx - sxz * sxy) / det;
        return new Plane(a, b, mz - a * mx - b * my);
    }
}
