using AnomalyMoE.Encoders;
using AnomalyMoE.Experts;
using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Components;

/// <summary>
/// Configuration of the unsupervised component masks (the reference's segment_image.py clusters patch features of a
/// category's training images with k-means and keeps the non-background clusters, train.py <c>filter_bg_noise</c>).
/// </summary>
/// <param name="Clusters">K, the number of k-means clusters (reference default 5).</param>
/// <param name="Seed">Seed of the patch sampling and the k-means++ initialisation.</param>
/// <param name="PatchesPerImage">Patch features sampled per training image for clustering (the reference keeps a 1 % coreset); 0 = all.</param>
/// <param name="MaxIterations">Lloyd iterations at most.</param>
/// <param name="Tolerance">Stop when no centroid moves more than this.</param>
/// <param name="CornerLimit">A cluster owning this many of the four image corners or more is background (reference: 3).</param>
/// <param name="CornerFraction">Side of a corner region as a fraction of the image side (reference 20 px of 448), at least one grid cell.</param>
/// <param name="MinimumStrength">A cluster whose box-blurred assignment map never exceeds this is too weak (reference 64 of 255).
/// The reference thresholds the dense-CRF probability map of the cluster, which is close to 0/1; without the CRF the hard
/// nearest-centroid assignment stands in for it. (Thresholding the raw cosine heat instead would drop nearly every cluster
/// of encoders whose features are all positive, such as a ResNet's, whose cosines to the centroids differ by a few hundredths.)</param>
/// <param name="StrengthWindow">Side of that box blur as a fraction of the image side (reference 11 px of 448), at least one grid cell.</param>
public sealed record ComponentMaskOptions(
    int Clusters = 5,
    int Seed = 0,
    int PatchesPerImage = 256,
    int MaxIterations = 100,
    double Tolerance = 1e-4,
    int CornerLimit = 3,
    double CornerFraction = 20.0 / 448,
    double MinimumStrength = 64.0 / 255,
    double StrengthWindow = 11.0 / 448)
{
    public static ComponentMaskOptions Reference { get; } = new();

    public ComponentMaskOptions Validate()
    {
        if (Clusters < 1) throw new ArgumentOutOfRangeException(nameof(Clusters), Clusters, "Clusters must be at least 1.");
        if (PatchesPerImage < 0) throw new ArgumentOutOfRangeException(nameof(PatchesPerImage), PatchesPerImage, "PatchesPerImage must be ≥ 0 (0 = all).");
        if (MaxIterations < 1) throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "MaxIterations must be at least 1.");
        if (!(Tolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "Tolerance must be ≥ 0.");
        if (CornerLimit is < 1 or > 5) throw new ArgumentOutOfRangeException(nameof(CornerLimit), CornerLimit, "CornerLimit must be in 1..5 (5 disables the corner rule).");
        if (!(CornerFraction > 0 && CornerFraction <= 0.5)) throw new ArgumentOutOfRangeException(nameof(CornerFraction), CornerFraction, "CornerFraction must be in (0, 0.5].");
        if (!(MinimumStrength >= 0)) throw new ArgumentOutOfRangeException(nameof(MinimumStrength), MinimumStrength, "MinimumStrength must be ≥ 0.");
        if (!(StrengthWindow > 0 && StrengthWindow <= 1)) throw new ArgumentOutOfRangeException(nameof(StrengthWindow), StrengthWindow, "StrengthWindow must be in (0, 1].");
        return this;
    }
}

/// <summary>
/// A fitted component segmenter for one category: unit-norm k-means centroids over patch features and the clusters kept as
/// components. Each image's patches go to the nearest centroid (cosine); a kept cluster's patches form that component's mask.
/// Owns <see cref="Centroids"/>.
/// </summary>
public sealed class ComponentMaskModel : IDisposable
{
    public Tensor Centroids { get; }
    public IReadOnlyList<int> KeptClusters { get; }

    public ComponentMaskModel(Tensor centroids, IReadOnlyList<int> keptClusters)
    {
        if (centroids.dim() != 2) throw new ArgumentException($"Centroids must be [K,D]; got [{string.Join(", ", centroids.shape)}].", nameof(centroids));
        if (keptClusters.Any(c => c < 0 || c >= centroids.shape[0]))
            throw new ArgumentException($"Kept clusters [{string.Join(", ", keptClusters)}] must be in 0..{centroids.shape[0] - 1}.", nameof(keptClusters));
        Centroids = centroids;
        KeptClusters = keptClusters.ToArray();
    }

    public int Clusters => (int)Centroids.shape[0];

    /// <summary>Nearest-centroid (cosine) cluster per patch, <c>[B,h,w]</c> int64, of a patch feature map <c>[B,D,h,w]</c>.</summary>
    public Tensor Assign(Tensor featureMap)
    {
        using var scope = NewDisposeScope();
        return Similarity(featureMap).argmax(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Component masks of each image, <c>[K',H,W]</c> uint8 (1 inside), one per kept cluster in <see cref="KeptClusters"/>
    /// order: the grid assignment resized nearest to the image size. A kept cluster absent from an image gives an empty mask,
    /// so every image of the category has the same components.
    /// </summary>
    public IReadOnlyList<Tensor> Masks(Tensor featureMap, long height, long width)
    {
        using var scope = NewDisposeScope();
        var labels = Assign(featureMap);
        var result = new List<Tensor>();
        for (int b = 0; b < labels.shape[0]; b++)
        {
            if (KeptClusters.Count == 0)
            {
                result.Add(zeros(0, height, width, dtype: uint8, device: featureMap.device).MoveToOuterDisposeScope());
                continue;
            }
            var perCluster = stack(KeptClusters.Select(c => labels[b].eq(c)).ToArray()).to_type(ScalarType.Float32).unsqueeze(1);
            var up = functional.interpolate(perCluster, [height, width], mode: InterpolationMode.Nearest).squeeze(1);
            result.Add(up.to_type(uint8).MoveToOuterDisposeScope());
        }
        return result;
    }

    /// <summary>Writes the model (centroids, kept clusters) in torch.save format, atomically.</summary>
    public void Save(string path)
    {
        using var kept = tensor(KeptClusters.Select(c => (long)c).ToArray());
        TorchFile.SaveTensors(new Dictionary<string, Tensor> { ["centroids"] = Centroids, ["kept_clusters"] = kept }, path);
    }

    /// <summary>Reads a model written by <see cref="Save"/>; the error names the file when it is not one.</summary>
    public static ComponentMaskModel Load(string path)
    {
        var tensors = TorchFile.LoadTensors(path);
        if (!tensors.TryGetValue("centroids", out var centroids) || !tensors.TryGetValue("kept_clusters", out var kept))
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw new AnomalyMoEException($"'{path}' is not a component mask model (it lacks 'centroids' or 'kept_clusters').");
        }
        var keptList = kept.data<long>().Select(v => (int)v).ToArray();
        kept.Dispose();
        foreach (var (k, t) in tensors) if (k != "centroids" && k != "kept_clusters") t.Dispose();
        return new ComponentMaskModel(centroids, keptList);
    }

    public void Dispose() => Centroids.Dispose();

    Tensor Similarity(Tensor featureMap)
    {
        if (featureMap.dim() != 4 || featureMap.shape[1] != Centroids.shape[1])
            throw new ArgumentException($"Expected a [B,{Centroids.shape[1]},h,w] patch feature map; got [{string.Join(", ", featureMap.shape)}].", nameof(featureMap));
        var f = functional.normalize(featureMap.to_type(ScalarType.Float32), dim: 1);
        var c = Centroids.to(f.device);
        return einsum("bdhw,kd->bkhw", f, c);
    }
}

/// <summary>
/// Fits <see cref="ComponentMaskModel"/>s: k-means on unit-normalised patch features of a category's training images, then the
/// reference's background rule decided on the first training image (train.py <c>filter_bg_noise</c>): a cluster is dropped
/// when it owns <see cref="ComponentMaskOptions.CornerLimit"/> or more image corners or its box-blurred assignment map never
/// exceeds <see cref="ComponentMaskOptions.MinimumStrength"/> (a scattered cluster, not a part). If the rule would drop every cluster, the clusters that pass the corner
/// rule are kept, and failing that all clusters, so a category always has components.
/// </summary>
public static class UnsupervisedComponentMasks
{
    /// <summary>
    /// Fits on patch feature maps <c>[B,D,h,w]</c> of the training images (enumerated once; the first image decides the
    /// background rule). <paramref name="totalBatches"/> only sizes the progress reports.
    /// </summary>
    public static ComponentMaskModel Fit(IEnumerable<Tensor> featureMaps, ComponentMaskOptions? options = null,
        IProgress<ProgressUpdate>? progress = null, int totalBatches = 0)
    {
        var o = (options ?? ComponentMaskOptions.Reference).Validate();
        var random = new Random(o.Seed);
        var samples = new List<Tensor>();
        Tensor? first = null;
        int batches = 0;
        try
        {
            foreach (var map in featureMaps)
            {
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                if (map.dim() != 4) throw new ArgumentException($"Feature maps must be [B,D,h,w]; got [{string.Join(", ", map.shape)}].", nameof(featureMaps));
                first ??= map[0..1].detach().to(CPU).clone().MoveToOuterDisposeScope();
                var rows = functional.normalize(map.detach().to(CPU).to_type(ScalarType.Float32), dim: 1)
                    .permute(0, 2, 3, 1).reshape(map.shape[0], -1, map.shape[1]);
                for (int b = 0; b < rows.shape[0]; b++)
                {
                    var patches = rows[b];
                    var n = (int)patches.shape[0];
                    if (o.PatchesPerImage > 0 && o.PatchesPerImage < n)
                    {
                        var pick = Enumerable.Range(0, n).OrderBy(_ => random.Next()).Take(o.PatchesPerImage).Select(i => (long)i).ToArray();
                        patches = patches.index_select(0, tensor(pick));
                    }
                    samples.Add(patches.clone().MoveToOuterDisposeScope());
                }
                batches++;
                progress.Report("component clustering: features", batches, Math.Max(totalBatches, batches));
            }
            if (first is null) throw new AnomalyMoEException("No training images were given to fit the component masks.");

            using var data = cat(samples, 0);
            if (data.shape[0] < o.Clusters)
                throw new AnomalyMoEException($"Component clustering needs at least {o.Clusters} patch features (Clusters = {o.Clusters}); got {data.shape[0]}.");
            progress.Report("component clustering: k-means", 0, 1);
            var fit = KMeans.Fit(data, o.Clusters, o.Seed, o.MaxIterations, o.Tolerance);
            var centroids = functional.normalize(fit.Centroids, dim: 1);
            fit.Dispose();
            progress.Report("component clustering: k-means", 1, 1);

            var all = new ComponentMaskModel(centroids, Enumerable.Range(0, o.Clusters).ToArray());
            var kept = KeptClusters(all, first, o);
            return new ComponentMaskModel(all.Centroids, kept);
        }
        finally
        {
            foreach (var s in samples) s.Dispose();
            first?.Dispose();
        }
    }

    /// <summary>
    /// Loads the cached model of this category and encoder when present; otherwise fits it from
    /// <paramref name="featureMaps"/> (called only then) and caches it atomically under <paramref name="cacheDirectory"/>.
    /// </summary>
    public static ComponentMaskModel FitOrLoad(string cacheDirectory, string category, string encoderName,
        Func<IEnumerable<Tensor>> featureMaps, ComponentMaskOptions? options = null, IProgress<ProgressUpdate>? progress = null, int totalBatches = 0)
    {
        var o = (options ?? ComponentMaskOptions.Reference).Validate();
        var path = CachePath(cacheDirectory, category, encoderName, o);
        if (File.Exists(path)) return ComponentMaskModel.Load(path);
        var model = Fit(featureMaps(), o, progress, totalBatches);
        model.Save(path);
        return model;
    }

    /// <summary>
    /// Fits (or loads from the cache) the masks of a category from one encoder layer's patch tokens of its training images.
    /// The cache key is the encoder's name plus the layer.
    /// </summary>
    public static ComponentMaskModel FitOrLoad(string cacheDirectory, string category, IFeatureEncoder encoder, int layer,
        Func<IEnumerable<Tensor>> trainingImageBatches, ComponentMaskOptions? options = null, IProgress<ProgressUpdate>? progress = null, int totalBatches = 0) =>
        FitOrLoad(cacheDirectory, category, $"{encoder.Info.Name}-L{layer}", () => FeatureMaps(encoder, trainingImageBatches(), layer), options, progress, totalBatches);

    /// <summary>
    /// Patch feature maps <c>[B,D,gridH,gridW]</c> of one encoder layer for each image batch, computed lazily without autograd.
    /// Each map stays valid until the next one is requested.
    /// </summary>
    public static IEnumerable<Tensor> FeatureMaps(IFeatureEncoder encoder, IEnumerable<Tensor> imageBatches, int layer)
    {
        if (layer < 0 || layer >= encoder.Info.LayerCount)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Encoder {encoder.Info.Name} has layers 0..{encoder.Info.LayerCount - 1}.");
        foreach (var batch in imageBatches)
        {
            Tensor map;
            using (no_grad())
            using (var output = encoder.Encode(batch, [layer]))
                map = ComponentFeatures.MeanTokenMap(output.Layers, encoder.Info.PrefixTokens, output.GridH, output.GridW);
            using (map) yield return map;
        }
    }

    /// <summary>
    /// The cache file of a category + encoder + clustering settings:
    /// <c>&lt;dir&gt;/&lt;category&gt;__&lt;encoder&gt;__k&lt;K&gt;_s&lt;seed&gt;_p&lt;patches&gt;_…_i&lt;iterations&gt;_t&lt;tolerance&gt;_f&lt;corner fraction&gt;.pth</c>.
    /// Every field of <see cref="ComponentMaskOptions"/> is in the name, so changing any of them fits afresh instead of reusing stale masks.
    /// </summary>
    public static string CachePath(string cacheDirectory, string category, string encoderName, ComponentMaskOptions options) =>
        Path.Combine(cacheDirectory, FormattableString.Invariant(
            $"{Safe(category)}__{Safe(encoderName)}__k{options.Clusters}_s{options.Seed}_p{options.PatchesPerImage}_c{options.CornerLimit}_w{options.MinimumStrength:0.####}_b{options.StrengthWindow:0.####}_i{options.MaxIterations}_t{options.Tolerance:G9}_f{options.CornerFraction:G9}.pth"));

    /// <summary>The clusters the background rule keeps, judged on one image's feature map <c>[1,D,h,w]</c>.</summary>
    public static int[] KeptClusters(ComponentMaskModel model, Tensor firstImage, ComponentMaskOptions options)
    {
        using var scope = NewDisposeScope();
        var labels = model.Assign(firstImage)[0];                    // [h,w]
        long h = labels.shape[0], w = labels.shape[1];
        long ch = Math.Max(1, (long)Math.Round(options.CornerFraction * h)), cw = Math.Max(1, (long)Math.Round(options.CornerFraction * w));
        var corners = new[]
        {
            labels[..(int)ch, ..(int)cw], labels[(int)(h - ch).., ..(int)cw],
            labels[..(int)ch, (int)(w - cw)..], labels[(int)(h - ch).., (int)(w - cw)..],
        };
        var strength = Strength(labels, model.Clusters, options.StrengthWindow);
        var passCorners = new List<int>();
        var passBoth = new List<int>();
        for (int c = 0; c < model.Clusters; c++)
        {
            var touched = corners.Count(region => region.eq(c).any().item<bool>());
            if (touched >= options.CornerLimit) continue;
            passCorners.Add(c);
            if (strength[c] > options.MinimumStrength) passBoth.Add(c);
        }
        return passBoth.Count > 0 ? passBoth.ToArray() : passCorners.Count > 0 ? passCorners.ToArray() : Enumerable.Range(0, model.Clusters).ToArray();
    }

    /// <summary>Per cluster, the peak of its 0/1 assignment map after a box blur of <paramref name="window"/> × the side (odd, ≥ 1 cell).</summary>
    static float[] Strength(Tensor labels, int clusters, double window)
    {
        using var scope = NewDisposeScope();
        long h = labels.shape[0], w = labels.shape[1];
        long kh = OddCells(window * h), kw = OddCells(window * w);
        var assigned = stack(Enumerable.Range(0, clusters).Select(c => labels.eq(c)).ToArray()).to_type(ScalarType.Float32).unsqueeze(0);
        var blurred = functional.avg_pool2d(assigned, [kh, kw], [1, 1], [kh / 2, kw / 2], count_include_pad: false);
        return blurred[0].amax([1, 2]).data<float>().ToArray();
    }

    static long OddCells(double cells)
    {
        var n = Math.Max(1, (long)Math.Round(cells));
        return n % 2 == 0 ? n + 1 : n;
    }

    static string Safe(string name)
    {
        var chars = name.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_').ToArray();
        return chars.Length == 0 ? "_" : new string(chars);
    }
}
