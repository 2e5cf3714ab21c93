using System.Diagnostics;
using AnomalyMoE.Baselines;
using AnomalyMoE.Components;
using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Encoders.ResNet;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Experts;
using AnomalyMoE.Interactive.Charts;
using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Maps;
using AnomalyMoE.Model;
using AnomalyMoE.Objectives;
using AnomalyMoE.Routing;
using AnomalyMoE.Runtime;
using AnomalyMoE.Synthetic;
using AnomalyMoE.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Interactive.Studies;

/// <summary>The images of a study, decoded once: normalised views, jittered views, masks, records and component masks.</summary>
public sealed class StudySplit(Tensor images, Tensor jittered, Tensor masks, IReadOnlyList<ImageRecord> records, IReadOnlyList<Tensor> componentMasks) : IDisposable
{
    public Tensor Images { get; } = images;
    public Tensor Jittered { get; } = jittered;
    public Tensor Masks { get; } = masks;
    public IReadOnlyList<ImageRecord> Records { get; } = records;
    public IReadOnlyList<Tensor> ComponentMasks { get; } = componentMasks;
    public int Count => Records.Count;
    public int[] Labels => Records.Select(r => r.Label).ToArray();
    public string[] Titles => Records.Select(r => $"{r.DefectType}/{Path.GetFileNameWithoutExtension(r.Path)}").ToArray();

    public AnomalyMoEInput Input(int start, int count) =>
        new(Images[start..(start + count)], Jittered[start..(start + count)], ComponentMasks.Skip(start).Take(count).ToArray());

    public void Dispose()
    {
        Images.Dispose();
        Jittered.Dispose();
        Masks.Dispose();
        foreach (var m in ComponentMasks) m.Dispose();
    }
}

/// <summary>Everything an evaluation produced, on the CPU. Owns its tensors.</summary>
public sealed class StudyEvaluation(string name, CategoryMetrics metrics, IReadOnlyDictionary<string, CategoryMetrics> levels, Tensor fusedMaps,
    float[] scores, LevelMapSet levelMaps, RoutingSummary? routing) : IDisposable
{
    public string Name { get; } = name;
    public CategoryMetrics Metrics { get; } = metrics;

    /// <summary>Metrics of each level's map alone (patch, global, component), next to the fused result.</summary>
    public IReadOnlyDictionary<string, CategoryMetrics> Levels { get; } = levels;

    /// <summary>Fused, smoothed maps <c>[N,1,R,R]</c>.</summary>
    public Tensor FusedMaps { get; } = fusedMaps;
    public float[] Scores { get; } = scores;
    public LevelMapSet LevelMaps { get; } = levelMaps;
    public RoutingSummary? Routing { get; } = routing;

    public void Dispose()
    {
        FusedMaps.Dispose();
        LevelMaps.Dispose();
    }
}

/// <summary>
/// A small end-to-end AnomalyMoE run for notebooks, in-process: data (real category or synthetic family), frozen
/// ResNet18 encoder, unsupervised component masks, a few training iterations with the paper's loss (reconstruction
/// + EIR + ESB) and an evaluation with per-level maps, fusion and metrics. The command line's <c>amoe train</c> /
/// <c>amoe test</c> are the durable path for full runs; this keeps a notebook's experiment inside one call.
/// </summary>
public sealed class NotebookStudy : IDisposable
{
    public StudyOptions Options { get; }
    public string CategoryName { get; }
    public bool UsesRealData { get; }
    public string WorkDirectory { get; }
    public IFeatureEncoder Encoder { get; }
    public AnomalyMoEModel Model { get; }
    public ExpertInformationRepulsion? Eir { get; }
    public StudySplit Train { get; }
    public StudySplit Test { get; }
    public ComponentMaskModel ComponentMasks { get; }

    /// <summary>The loss log of the last <see cref="Fit"/> (<c>losses.csv</c>).</summary>
    public string LossLogPath => Path.Combine(WorkDirectory, "losses.csv");

    /// <summary>Seconds spent in data preparation, training and evaluation.</summary>
    public Dictionary<string, double> Timings { get; } = [];

    readonly bool ownsData;

    NotebookStudy(StudyOptions options, string category, bool real, string work, IFeatureEncoder encoder, AnomalyMoEModel model,
        ExpertInformationRepulsion? eir, StudySplit train, StudySplit test, ComponentMaskModel components, bool ownsData = true)
    {
        (Options, CategoryName, UsesRealData, WorkDirectory, Encoder, Model, Eir, Train, Test, ComponentMasks) =
            (options, category, real, work, encoder, model, eir, train, test, components);
        this.ownsData = ownsData;
    }

    /// <summary>
    /// A fresh, untrained model with other model or training options (expert counts, top-k, EIR, ESB, iterations) on this
    /// study's data, encoder and component masks, which stay owned by this study: dispose the variant first. Options that
    /// change the data (family, root, category, size, image counts, seed) are refused.
    /// </summary>
    public NotebookStudy Variant(StudyOptions options, string? name = null)
    {
        var o = options.Validate();
        if (o.Family != Options.Family || o.DataRoot != Options.DataRoot || o.Category != Options.Category || o.ImageSize != Options.ImageSize
            || o.TrainImages != Options.TrainImages || o.TestImages != Options.TestImages || o.Seed != Options.Seed)
            throw new ArgumentException("A variant shares the study's data: Family, DataRoot, Category, ImageSize, TrainImages, TestImages and Seed must stay the same.", nameof(options));
        manual_seed(o.Seed);
        var model = new AnomalyMoEModel(ModelOptions(o, Encoder.Info.Width), Encoder);
        ParameterInitialization.ApplyReference(model);
        var eir = model.Options.Objectives.UseEir ? new ExpertInformationRepulsion(new ExpertInformationRepulsionOptions(Encoder.Info.Width)) : null;
        var folder = name is null ? Guid.NewGuid().ToString("N") : new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
        var work = Path.Combine(WorkDirectory, "variant-" + folder);
        Directory.CreateDirectory(work);
        return new NotebookStudy(o, CategoryName, UsesRealData, work, Encoder, model, eir, Train, Test, ComponentMasks, ownsData: false);
    }

    /// <summary>Model options for the ResNet18 encoder (width 384, two tapped layers) with the study's counts and switches.</summary>
    public static AnomalyMoEOptions ModelOptions(StudyOptions o, int embedDim = 384)
    {
        int[][] groups = [[0], [1]];
        return AnomalyMoEOptions.Paper with
        {
            EmbedDim = embedDim,
            PatchExperts = o.PatchExperts,
            GlobalExperts = o.GlobalExperts,
            ComponentExperts = o.ComponentExperts,
            Patch = new PatchExpertOptions(embedDim, 6, DecoderDepth: o.DecoderDepth, BottleneckHidden: embedDim,
                DecoderGroups: o.DecoderDepth == 1 ? [[0], [0]] : [[0], [o.DecoderDepth - 1]]),
            Global = new GlobalExpertOptions(embedDim, [8, 16, 32], [32, 64]),
            Component = new ComponentExpertOptions(embedDim, HiddenWidth: 128, MiddleWidth: 64, BottleneckWidth: 32),
            Router = new RouterOptions(Hidden: 64, TopK: Math.Min(o.TopK, o.PatchExperts + o.GlobalExperts + o.ComponentExperts)),
            TapLayers = [0, 1],
            EncoderGroups = groups,
            ComponentTaps = [0, 1],
            // EIR pairs a patch expert with a global one, so it needs both levels.
            Objectives = ObjectiveOptions.Paper with { UseEir = o.UseEir && o.PatchExperts > 0 && o.GlobalExperts > 0, UseEsb = o.UseEsb },
            Encoder = null,
        };
    }

    /// <summary>Prepares data, encoder, component masks and an untrained model.</summary>
    public static NotebookStudy Create(StudyOptions options, IProgress<ProgressUpdate>? progress = null)
    {
        var o = options.Validate();
        TorchRuntime.EnsureLoaded();
        var clock = Stopwatch.StartNew();
        var work = o.WorkDirectory ?? Path.Combine(Path.GetTempPath(), "anomalymoe-notebooks", $"{(o.DataRoot is null ? o.Family : "real")}-{o.Seed}-{o.ImageSize}");
        Directory.CreateDirectory(work);

        var (category, records, real) = o.DataRoot is { } root ? ReadReal(root, o) : MakeSynthetic(o, work, progress);
        var trainRecords = records.Where(r => r.Split == DatasetSplit.Train).Take(o.TrainImages).ToList();
        var testRecords = Spread(records.Where(r => r.Split == DatasetSplit.Test).ToList(), o.TestImages);
        if (trainRecords.Count < 2) throw new AnomalyMoEException($"Category '{category}' has {trainRecords.Count} training images; at least 2 are needed.");
        if (testRecords.Select(r => r.Label).Distinct().Count() < 2)
            throw new AnomalyMoEException($"The test images of '{category}' do not hold both normal and anomalous images.");

        manual_seed(o.Seed);
        var encoder = ResNetTokenEncoder.LoadResNet18Onnx();
        var transform = new ImageTransformOptions(o.ImageSize, o.ImageSize, encoder.Info.Normalization);
        var (trainImages, trainJittered, trainMasks) = Decode(trainRecords, transform, o.Seed, progress, "decode train");
        var (testImages, testJittered, testMasks) = Decode(testRecords, transform, o.Seed + 1, progress, "decode test");

        // Component masks: k-means over the training images' last-layer features (cached per category and encoder).
        var components = UnsupervisedComponentMasks.Fit(
            UnsupervisedComponentMasks.FeatureMaps(encoder, Chunks(trainImages, 8), layer: 1),
            ComponentMaskOptions.Reference with { Clusters = 4, Seed = o.Seed }, progress);
        var train = new StudySplit(trainImages, trainJittered, trainMasks, trainRecords, MasksOf(components, encoder, trainImages, o.ImageSize));
        var test = new StudySplit(testImages, testJittered, testMasks, testRecords, MasksOf(components, encoder, testImages, o.ImageSize));

        var modelOptions = ModelOptions(o, encoder.Info.Width);
        var model = new AnomalyMoEModel(modelOptions, encoder);
        ParameterInitialization.ApplyReference(model);
        var eir = modelOptions.Objectives.UseEir
            ? new ExpertInformationRepulsion(new ExpertInformationRepulsionOptions(encoder.Info.Width))
            : null;
        var study = new NotebookStudy(o, category, real, work, encoder, model, eir, train, test, components);
        study.Timings["prepare"] = clock.Elapsed.TotalSeconds;
        return study;
    }

    /// <summary>
    /// Trains the experts and router for <see cref="StudyOptions.Iterations"/> iterations (StableAdamW, warm-cosine schedule),
    /// alternating with the CLUB estimators' step when EIR is on; writes <see cref="LossLogPath"/>. Returns the last loss terms.
    /// </summary>
    public IReadOnlyDictionary<string, double> Fit(IProgress<ProgressUpdate>? progress = null)
    {
        var o = Options;
        var clock = Stopwatch.StartNew();
        var modelOptions = Model.Options;
        using var optimizer = new StableAdamW(Model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList(),
            StableAdamWOptions.Reference with { LearningRate = o.LearningRate });
        using var estimatorOptimizer = Eir is null ? null : new StableAdamW(Eir.named_parameters().Select(p => (p.name, p.parameter)).ToList(),
            StableAdamWOptions.Reference with { LearningRate = o.LearningRate });
        var schedule = WarmCosineSchedule.Reference(Math.Max(1, o.Iterations), o.LearningRate, warmupIterations: Math.Max(1, o.Iterations / 10));
        string[] columns = ["total", "reconstruction", "patch", "global", "component", "esb", "eir"];
        using var log = LossLog.Open(LossLogPath, columns);
        var random = new Random(o.Seed);
        var order = new List<int>();
        var last = new Dictionary<string, double>();
        Model.train();
        for (int it = 0; it < o.Iterations; it++)
        {
            using var scope = NewDisposeScope();
            if (order.Count < o.BatchSize) order.AddRange(Enumerable.Range(0, Train.Count).OrderBy(_ => random.Next()));
            var pick = order.Take(o.BatchSize).ToArray();
            order.RemoveRange(0, pick.Length);
            var index = tensor(pick.Select(i => (long)i).ToArray());
            var input = new AnomalyMoEInput(Train.Images.index_select(0, index), Train.Jittered.index_select(0, index),
                pick.Select(i => Train.ComponentMasks[i]).ToArray());
            optimizer.LearningRate = schedule.At(it);
            using var output = Model.forward(input);
            using var terms = AnomalyMoELoss.Compute(output, modelOptions, Eir, random);
            optimizer.ZeroGrad();
            terms.Total.backward();
            optimizer.Step();
            if (Eir is not null && estimatorOptimizer is not null)
            {
                estimatorOptimizer.LearningRate = schedule.At(it);
                using var estimatorLoss = EstimatorLossOnDetached(output);
                // With one expert in a level there is no pair to estimate: the loss is a constant.
                if (estimatorLoss.requires_grad)
                {
                    estimatorOptimizer.ZeroGrad();
                    estimatorLoss.backward();
                    estimatorOptimizer.Step();
                }
            }
            last = new Dictionary<string, double>
            {
                ["total"] = terms.Total.item<float>(), ["reconstruction"] = terms.Reconstruction.item<float>(),
                ["patch"] = terms.Patch.item<float>(), ["global"] = terms.Global.item<float>(), ["component"] = terms.Component.item<float>(),
            };
            if (terms.Esb is { } esb) last["esb"] = esb.item<float>();
            if (terms.Eir is { } eirValue) last["eir"] = eirValue.item<float>();
            log.Append(it, optimizer.LearningRate, last);
            progress.Report("train", it + 1, o.Iterations, last);
        }
        Model.eval();
        Timings["train"] = clock.Elapsed.TotalSeconds;
        return last;
    }

    Tensor EstimatorLossOnDetached(AnomalyMoEOutput output)
    {
        // The estimators learn on the experts' features without moving the experts (reference: features.detach()).
        using var scope = NewDisposeScope();
        var (patch, global) = AnomalyMoELoss.ExpertFeatures(output);
        return Eir!.EstimatorLoss(patch.Select(t => t.detach()).ToArray(), global.Select(t => t.detach()).ToArray(), new Random(Options.Seed))
            .MoveToOuterDisposeScope();
    }

    /// <summary>Runs the model on the test images: per-level maps, routing weights, fusion, metrics of the fused and of each level's map.</summary>
    public StudyEvaluation Evaluate(string name = "AnomalyMoE", IProgress<ProgressUpdate>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        Model.eval();
        var o = Model.Options;
        var patch = new List<Tensor>();
        var global = new List<Tensor>();
        var component = new List<Tensor>();
        var weights = new List<Tensor>();
        using (no_grad())
        {
            for (int start = 0; start < Test.Count; start += 4)
            {
                int count = Math.Min(4, Test.Count - start);
                using var output = Model.forward(Test.Input(start, count));
                using var maps = Model.LevelMaps(output, Options.ImageSize, Options.ImageSize);
                if (maps.Patch is { } p) patch.Add(p.to(CPU).clone());
                if (maps.Global is { } g) global.Add(g.to(CPU).clone());
                if (maps.Component is { } c) component.Add(c.to(CPU).clone());
                weights.Add(output.Routing.Weights.to(CPU).clone());
                progress.Report("evaluate", start + count, Test.Count);
            }
        }
        var levelMaps = new LevelMapSet(Cat(patch), Cat(global), Cat(component));
        using var routingWeights = cat(weights, 0);
        foreach (var w in weights) w.Dispose();
        using var fused = Model.Fuse(levelMaps, routingWeights);
        var metrics = Score(name, fused);
        var levels = new Dictionary<string, CategoryMetrics>();
        foreach (var (level, map) in new[] { ("patch", levelMaps.Patch), ("global", levelMaps.Global), ("component", levelMaps.Component) })
        {
            if (map is null) continue;
            using var alone = MapFusion.Fuse(level == "patch" ? map : null, level == "global" ? map : null, level == "component" ? map : null,
                routingWeights, o.PatchExperts, o.GlobalExperts, o.ComponentExperts);
            levels[level] = Score(level, alone);
        }
        var routing = new RoutingSummary(Rows(routingWeights), o.PatchExperts, o.GlobalExperts, o.ComponentExperts, Test.Titles);
        Timings["evaluate"] = clock.Elapsed.TotalSeconds;
        return new StudyEvaluation(name, metrics, levels, fused.Smoothed.clone(), fused.Scores.data<float>().ToArray(), levelMaps, routing);
    }

    /// <summary>The PatchCore baseline on the same encoder features (layer-mean tokens): memory bank of training patches, nearest-neighbour maps.</summary>
    public StudyEvaluation EvaluatePatchCore(PatchCoreOptions? options = null, IProgress<ProgressUpdate>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        Tensor Features(Tensor images)
        {
            using var tokens = Encoder.Encode(images, Model.Options.TapLayers);
            var mean = TokenMaps.Mean(tokens.Layers);
            var grid = TokenMaps.ToGrid(mean, Encoder.Info.PrefixTokens, tokens.GridH, tokens.GridW);   // [B,D,h,w]
            return grid;
        }
        var trainGrid = Features(Train.Images);
        var d = trainGrid.shape[1];
        using var bank = PatchCoreMemoryBank.Build(trainGrid.permute(0, 2, 3, 1).reshape(-1, d), options ?? PatchCoreOptions.Default with { Seed = Options.Seed }, progress);
        var testGrid = Features(Test.Images);
        long b = testGrid.shape[0], h = testGrid.shape[2], w = testGrid.shape[3];
        var distances = bank.Score(testGrid.permute(0, 2, 3, 1).reshape(-1, d)).reshape(b, 1, h, w);
        var maps = LevelMaps.ToImage(distances, Options.ImageSize, Options.ImageSize);
        var smoothed = MapFusion.GaussianBlur(nn.functional.interpolate(maps, [256, 256], mode: InterpolationMode.Bilinear, align_corners: false), 5, 4);
        var scores = smoothed.reshape(b, -1).amax([1]);
        using var fused = new FusedMaps(smoothed.MoveToOuterDisposeScope(), scores.MoveToOuterDisposeScope());
        var metrics = Score("PatchCore", fused);
        Timings["patchcore"] = clock.Elapsed.TotalSeconds;
        return new StudyEvaluation("PatchCore", metrics, new Dictionary<string, CategoryMetrics>(), fused.Smoothed.clone(), fused.Scores.data<float>().ToArray(),
            new LevelMapSet(null, null, null), null);
    }

    /// <summary>Gallery panels of test images with a map (<c>[N,1,·,·]</c>) over them and their ground truth outlined.</summary>
    public IReadOnlyList<MapPanel> Panels(Tensor? maps = null, IReadOnlyList<float>? scores = null, IEnumerable<int>? which = null)
    {
        var indices = (which ?? Enumerable.Range(0, Test.Count)).ToArray();
        using var scope = NewDisposeScope();
        var index = tensor(indices.Select(i => (long)i).ToArray());
        return MapPanels.FromBatch(Test.Images.index_select(0, index), Encoder.Info.Normalization, indices.Select(i => Test.Titles[i]).ToArray(),
            maps?.index_select(0, index), Test.Masks.index_select(0, index), scores is null ? null : indices.Select(i => (double)scores[i]).ToArray());
    }

    /// <summary>A few normal and a few anomalous test images (for galleries).</summary>
    public int[] SampleIndices(int normal = 2, int anomalous = 6) =>
        Enumerable.Range(0, Test.Count).Where(i => Test.Labels[i] == 0).Take(normal)
            .Concat(Enumerable.Range(0, Test.Count).Where(i => Test.Labels[i] == 1).Take(anomalous)).ToArray();

    CategoryMetrics Score(string name, FusedMaps fused)
    {
        var n = Test.Count;
        using var masks = nn.functional.interpolate(Test.Masks, [fused.Smoothed.shape[2], fused.Smoothed.shape[3]], mode: InterpolationMode.Nearest);
        var labels = Test.Labels.Select(l => (byte)l).ToArray();
        var scores = fused.Scores.to(CPU).data<float>().ToArray();
        PixelMapSet? pixels = null;
        if (Test.Records.Any(r => r.MaskPath is not null))
        {
            pixels = new PixelMapSet(fused.Smoothed.to(CPU).contiguous().data<float>().ToArray(),
                masks.gt(0.5).to_type(ScalarType.Byte).contiguous().data<byte>().ToArray(), n, (int)fused.Smoothed.shape[2], (int)fused.Smoothed.shape[3]);
        }
        return CategoryMetrics.Evaluate(name, scores, labels, pixels);
    }

    static Tensor? Cat(List<Tensor> parts)
    {
        if (parts.Count == 0) return null;
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    static double[][] Rows(Tensor weights)
    {
        var flat = weights.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        int e = (int)weights.shape[1];
        return Enumerable.Range(0, (int)weights.shape[0]).Select(i => flat.AsSpan(i * e, e).ToArray()).ToArray();
    }

    static (string, IReadOnlyList<ImageRecord>, bool) ReadReal(string root, StudyOptions o)
    {
        var categories = MvtecDatasetReader.DiscoverCategories(root);
        var category = o.Category ?? categories.FirstOrDefault() ?? throw new AnomalyMoEException($"No categories under '{root}'.");
        var catalog = MvtecDatasetReader.Read(new DatasetSource(root, Categories: [category]));
        return (category, catalog.Records.ToList(), true);
    }

    static (string, IReadOnlyList<ImageRecord>, bool) MakeSynthetic(StudyOptions o, string work, IProgress<ProgressUpdate>? progress)
    {
        var dataRoot = Path.Combine(work, "synthetic");
        var size = Math.Max(64, o.ImageSize);
        var synth = new SynthOptions([o.Family], o.Seed, size, o.TrainImages,
            Math.Max(o.TestImages, SynthOptions.MinimumTestPerCategory([o.Family], 0.4)));
        var familyRoot = Path.Combine(dataRoot, o.Family);
        var stamp = Path.Combine(dataRoot, $".{o.Family}-{synth.Seed}-{synth.Size}-{synth.TrainPerCategory}-{synth.TestPerCategory}");
        if (!File.Exists(stamp))
        {
            SyntheticBenchmark.Generate(synth, dataRoot, progress);
            File.WriteAllText(stamp, "");
        }
        var category = o.Category ?? SyntheticFamilies.Categories(o.Family)[0].Name;
        var catalog = MvtecDatasetReader.Read(new DatasetSource(familyRoot, o.Family, [category]), DatasetReadOptions.Default with { ReadMetadata = false });
        return (category, catalog.Records.ToList(), false);
    }

    /// <summary>Up to <paramref name="count"/> records spread evenly over the list (keeps the mix of defect types).</summary>
    static List<ImageRecord> Spread(List<ImageRecord> records, int count)
    {
        if (records.Count <= count) return records;
        var normal = records.Where(r => r.Label == 0).ToList();
        var anomalous = records.Where(r => r.Label == 1).ToList();
        int normalCount = Math.Clamp((int)Math.Round(count * 0.4), 1, normal.Count);
        int anomalousCount = Math.Min(anomalous.Count, count - normalCount);
        static IEnumerable<ImageRecord> Even(List<ImageRecord> list, int n) => Enumerable.Range(0, n).Select(i => list[(int)((long)i * list.Count / n)]);
        return Even(normal, normalCount).Concat(Even(anomalous, anomalousCount)).ToList();
    }

    static (Tensor Images, Tensor Jittered, Tensor Masks) Decode(IReadOnlyList<ImageRecord> records, ImageTransformOptions transform, int seed,
        IProgress<ProgressUpdate>? progress, string task)
    {
        var loader = new ImageBatchLoader(records, transform, new BatchLoaderOptions(8, Seed: seed, WithJitter: true));
        var images = new List<Tensor>();
        var jittered = new List<Tensor>();
        var masks = new List<Tensor>();
        int done = 0;
        foreach (var batch in loader.Batches())
        {
            using (batch)
            {
                images.Add(batch.Images.clone());
                jittered.Add(batch.Jittered!.clone());
                masks.Add(batch.Masks.clone());
            }
            done += batch.Count;
            progress.Report(task, done, records.Count);
        }
        var result = (cat(images, 0), cat(jittered, 0), cat(masks, 0));
        foreach (var t in images.Concat(jittered).Concat(masks)) t.Dispose();
        return result;
    }

    static IEnumerable<Tensor> Chunks(Tensor images, int size)
    {
        for (long s = 0; s < images.shape[0]; s += size) yield return images.narrow(0, s, Math.Min(size, images.shape[0] - s));
    }

    static IReadOnlyList<Tensor> MasksOf(ComponentMaskModel components, IFeatureEncoder encoder, Tensor images, int size)
    {
        var result = new List<Tensor>();
        foreach (var map in UnsupervisedComponentMasks.FeatureMaps(encoder, Chunks(images, 8), layer: 1))
            result.AddRange(components.Masks(map, size, size));
        return result;
    }

    public void Dispose()
    {
        Eir?.Dispose();
        Model.Dispose();
        if (!ownsData) return;
        Train.Dispose();
        Test.Dispose();
        ComponentMasks.Dispose();
        Encoder.Dispose();
    }
}
