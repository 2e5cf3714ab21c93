using System.Diagnostics;
using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Engine;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Model;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Interactive.Studies;

/// <summary>
/// A notebook's experiment as engine runs: the data (one or several categories of a real dataset, or of the synthetic
/// family generated as <c>amoe synth</c> does; several train one unified model), a run folder trained by <see cref="AnomalyMoETrainer"/> (<c>amoe train</c>) and evaluated by
/// <see cref="DetectorEvaluation"/> (<c>amoe test</c>), the PatchCore baseline the same way, and — for teaching — the
/// trained or untrained model run on one batch (<see cref="Inspect"/>). <see cref="Commands"/> are the <c>amoe</c>
/// command lines that reproduce the runs.
/// </summary>
public sealed class NotebookStudy : IDisposable
{
    public StudyOptions Options { get; }

    /// <summary>The category folder names, comma-separated as <c>amoe train --categories</c> takes them.</summary>
    public string CategoryName => string.Join(",", Categories.Select(c => c.Category));

    public bool UsesRealData { get; }

    /// <summary>The dataset root holding the categories (for synthetic data, the family's folder).</summary>
    public string DataRoot { get; }

    /// <summary>The records (train and test) of each category the run trains on, in the order they are evaluated.</summary>
    public IReadOnlyList<CategoryInfo> Categories { get; }

    /// <summary>The study's one category; throws when it holds several (use <see cref="Categories"/>).</summary>
    public CategoryInfo Category => Categories.Count == 1 ? Categories[0]
        : throw new InvalidOperationException($"The study holds {Categories.Count} categories ({CategoryName}); use Categories.");

    /// <summary>The run's configuration (<c>config.json</c>).</summary>
    public TrainingRunConfig Config { get; }

    /// <summary>The preset with the run's overrides applied.</summary>
    public TrainingPreset Preset { get; }

    public RunDirectory Run { get; }

    /// <summary>The PatchCore baseline's run folder (beside <see cref="Run"/>).</summary>
    public RunDirectory PatchCoreRun => new(Run.Root + "-patchcore");

    public string WorkDirectory { get; }

    /// <summary>Seconds spent per step (data, train, evaluate, patchcore).</summary>
    public Dictionary<string, double> Timings { get; } = [];

    readonly string? synthCommand;
    readonly IReadOnlyList<string> runCommands;
    IFeatureEncoder? encoder;
    ComponentMaskSet? componentMasks;

    NotebookStudy(StudyOptions options, bool real, string dataRoot, IReadOnlyList<CategoryInfo> infos, TrainingRunConfig config,
        RunDirectory run, string work, string? synthCommand, IReadOnlyList<string>? runCommands = null)
    {
        (Options, UsesRealData, DataRoot, Categories, Config, Run, WorkDirectory) = (options, real, dataRoot, infos, config, run, work);
        Preset = config.ResolvePreset();
        this.synthCommand = synthCommand;
        this.runCommands = runCommands ?? CommandLines.TrainAndTest(config, run.Root);
    }

    StudyCommands CommandLines => new(DataRoot, CategoryName, Options.Device);

    /// <summary>
    /// The <c>amoe</c> commands that reproduce this study's AnomalyMoE run (data, training, evaluation) with the same
    /// files; <c>amoe</c> is <c>dotnet run --project src/AnomalyMoE.Cli -c Release --</c>.
    /// </summary>
    public IReadOnlyList<string> Commands => (synthCommand is null ? runCommands : runCommands.Prepend(synthCommand)).ToArray();

    /// <summary>The commands that build and evaluate the PatchCore baseline of <see cref="EvaluatePatchCore"/>.</summary>
    public IReadOnlyList<string> PatchCoreCommands => CommandLines.PatchCore(Config, PatchCoreRun.Root);

    /// <summary>Prepares the data and the run's configuration; trains nothing.</summary>
    public static NotebookStudy Create(StudyOptions options, IProgress<ProgressUpdate>? progress = null)
    {
        var o = options.Validate();
        TorchRuntime.EnsureLoaded();
        var clock = Stopwatch.StartNew();
        var work = Path.GetFullPath(o.WorkDirectory ?? Path.Combine(Path.GetTempPath(), "anomalymoe-notebooks"));
        Directory.CreateDirectory(work);
        var source = StudyData.Locate(o, work, progress);
        var config = new TrainingRunConfig
        {
            Preset = TrainingPresets.Get(o.Preset).Name,
            Data = [new DataRoot(source.Root, source.Categories.ToArray())],
            Iterations = o.Iterations,
            Seed = o.Seed,
        };
        var infos = StudyData.Read(config);
        var study = new NotebookStudy(o, o.DataRoot is not null, source.Root, infos, config, StudyData.RunFolder(work, infos, config), work, source.SynthCommand);
        study.Timings["data"] = clock.Elapsed.TotalSeconds;
        return study;
    }

    /// <summary>
    /// Another run on this study's data: the <c>amoe ablate</c> grid point (or preset) of <paramref name="variant"/>, in a
    /// folder named as <c>amoe ablate</c> names it under <see cref="AblationDirectory"/>. The component masks already fitted
    /// for this study are reused.
    /// </summary>
    public NotebookStudy Variant(StudyVariant variant)
    {
        var config = variant.Apply(Config);
        config.ResolvePreset();
        var run = new RunDirectory(Path.Combine(AblationDirectory, variant.FolderName));
        var commands = variant.GridPoint is { } grid
            ? CommandLines.Ablate(config, grid, AblationDirectory)
            : CommandLines.TrainAndTest(config, run.Root, overlays: false);
        var study = new NotebookStudy(Options, UsesRealData, DataRoot, Categories, config, run, WorkDirectory, synthCommand, commands);
        StudyData.CopyComponentCache(Run, study.Run);
        return study;
    }

    /// <summary>
    /// The same categories and settings on a sibling dataset root (MVTec 3D-AD's depth maps beside its RGB images, which share
    /// file names and masks), with a run folder of its own.
    /// </summary>
    public NotebookStudy Sibling(string siblingRoot)
    {
        var root = Path.GetFullPath(siblingRoot);
        var names = Categories.Select(c => c.Category).ToArray();
        var found = MvtecDatasetReader.DiscoverCategories(root);
        if (names.FirstOrDefault(n => !found.Contains(n)) is { } missing)
            throw new AnomalyMoEException($"Category '{missing}' is not under the sibling dataset '{root}'.");
        var config = Config with { Data = [new DataRoot(root, names)] };
        var infos = StudyData.Read(config);
        return new NotebookStudy(Options, UsesRealData, root, infos, config, StudyData.RunFolder(WorkDirectory, infos, config), WorkDirectory, synthCommand);
    }

    /// <summary>Where <see cref="Variant"/> runs go (an <c>amoe ablate --out</c> folder).</summary>
    public string AblationDirectory => Run.Root + "-ablation";

    /// <summary>
    /// Trains the run (<c>amoe train --resume</c>): a finished run in <see cref="Run"/> is loaded as it is, an interrupted one
    /// continues from its checkpoint.
    /// </summary>
    public TrainingResult Train(IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var result = AnomalyMoETrainer.Train(Run, Config, new TrainingSettings(Options.Device, Resume: true), progress, cancellationToken);
        Timings["train"] = clock.Elapsed.TotalSeconds;
        return result;
    }

    /// <summary>
    /// Trains and evaluates this study's run as <c>amoe ablate</c> runs a grid point (<see cref="AblationRunner"/>): resumed
    /// where its folder holds part of it, evaluated without overlays, reports in the run's <c>reports/</c>.
    /// </summary>
    public AblationOutcome Ablate(string name, IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var outcome = AblationRunner.Run(name, Run, Config, new TrainingSettings(Options.Device), Categories, 0, progress, cancellationToken);
        Timings["ablate"] = clock.Elapsed.TotalSeconds;
        return outcome;
    }

    /// <summary>Evaluates the trained run on each category's test images apart (<c>amoe test</c>): reports in the run's <c>reports/</c>.</summary>
    public StudyEvaluation Evaluate(IProgress<ProgressUpdate>? progress = null, int overlaysPerSide = 2, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var evaluation = EvaluateRun("AnomalyMoE", Run, overlaysPerSide, progress, cancellationToken);
        Timings["evaluate"] = clock.Elapsed.TotalSeconds;
        return evaluation;
    }

    /// <summary>Builds the PatchCore baseline's memory bank in <see cref="PatchCoreRun"/> and evaluates it like <see cref="Evaluate"/>.</summary>
    public StudyEvaluation EvaluatePatchCore(IProgress<ProgressUpdate>? progress = null, int overlaysPerSide = 2, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        PatchCoreTrainer.Train(PatchCoreRun, Config with { Method = DetectionMethod.PatchCore, Iterations = null }, Options.Device, progress);
        var evaluation = EvaluateRun("PatchCore", PatchCoreRun, overlaysPerSide, progress, cancellationToken);
        Timings["patchcore"] = clock.Elapsed.TotalSeconds;
        return evaluation;
    }

    StudyEvaluation EvaluateRun(string name, RunDirectory run, int overlaysPerSide, IProgress<ProgressUpdate>? progress, CancellationToken cancellationToken)
    {
        using var detector = new RecordingDetector(Detectors.Open(run, Categories, Options.Device, progress));
        var report = DetectorEvaluation.Evaluate(detector, Categories, run.ReportsDirectory, overlaysPerSide, progress, cancellationToken);
        return new StudyEvaluation(name, run, report, detector.TakeAll());
    }

    // ---- Teaching: the model on one batch, built from the same library calls the engine makes. ----

    /// <summary>The preset's frozen encoder (loaded on first use).</summary>
    public IFeatureEncoder Encoder => encoder ??= EncoderFactory.Create(Preset, Config.EncoderWeights, TorchRuntime.Resolve(Options.Device));

    /// <summary>Each category's component segmenter, fitted on its training images and cached in the run folder, where training finds it.</summary>
    public ComponentMaskSet ComponentMasks(IProgress<ProgressUpdate>? progress = null) =>
        componentMasks ??= ComponentMaskSet.FitOrLoad(Run.ComponentCacheDirectory, Categories, Encoder, Preset, TorchRuntime.Resolve(Options.Device), progress);

    /// <summary>
    /// A few normal and a few anomalous test images, the anomalies spread over the defect types; with several categories the
    /// counts are shared out over the categories in turn, normal images first.
    /// </summary>
    public IReadOnlyList<ImageRecord> TestSamples(int normal = 2, int anomalous = 6) => StudySamples.Test(Categories, normal, anomalous);

    /// <summary>The first training images (all normal), shared out over the categories.</summary>
    public IReadOnlyList<ImageRecord> TrainSamples(int count) => StudySamples.Train(Categories, count);

    /// <summary>
    /// Images prepared as the engine feeds them to the model (<see cref="ModelBatch"/>): as <c>amoe test</c> does, so level
    /// maps are the model's maps that evaluation scores (the global experts see the image itself, the patch level runs on the
    /// test-time groups), or with <paramref name="trainingView"/> as the trainer does, with the global experts' view of the
    /// preset (the colour-jittered view the trainer draws under the reference's choice), so loss terms match losses.csv.
    /// </summary>
    public StudyBatch LoadBatch(IReadOnlyList<ImageRecord> records, IProgress<ProgressUpdate>? progress = null, bool trainingView = false)
    {
        if (records.Count == 0) throw new AnomalyMoEException("No images to load.");
        var device = TorchRuntime.Resolve(Options.Device);
        var masks = Preset.Model.ComponentExperts > 0 ? ComponentMasks(progress) : null;
        var loader = new ImageBatchLoader(records, Preset.Transform, new BatchLoaderOptions(records.Count, WithJitter: trainingView));
        using var batch = loader.Batches().Single();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        ModelBatch model;
        if (trainingView)
        {
            // A cache without a budget: every image is encoded, as in the trainer's first epoch.
            using var uncached = new EncoderFeatureCache(Encoder, Preset.Model.TapLayers, budgetBytes: 0);
            model = ModelBatch.ForTraining(batch, Preset, uncached, masks, device);
        }
        else
        {
            model = ModelBatch.ForEvaluation(batch, Preset, Encoder, masks, device, withLossTarget: true);
        }
        return new StudyBatch(model.MoveToOuterDisposeScope(), batch.Masks.clone().MoveToOuterDisposeScope(), Encoder.Info);
    }

    /// <summary>
    /// The model as training starts: the preset's architecture with the reference initialisation from the run's seed, and
    /// fresh EIR estimators — the state <see cref="AnomalyMoETrainer"/> begins from. <paramref name="everyExpert"/> runs every
    /// expert on every image (dense execution: the same weights, maps and routing), so <see cref="Inspect"/> can show the
    /// experts no image selected as well.
    /// </summary>
    public StudyModel UntrainedModel(bool everyExpert = false)
    {
        TorchRuntime.EnsureLoaded();
        var (model, eir) = ModelStates.Initial(everyExpert ? Preset.Model with { Execution = ExpertExecution.Dense } : Preset.Model, Config.Seed);
        return new StudyModel(Preset, model, eir).To(TorchRuntime.Resolve(Options.Device));
    }

    /// <summary>The trained model and EIR estimators from the run's last checkpoint (train first).</summary>
    public StudyModel TrainedModel(bool everyExpert = false)
    {
        if (!File.Exists(Run.LastCheckpointPath)) throw new AnomalyMoEException($"Run '{Run.Root}' has no checkpoint yet; call Train first.");
        var study = UntrainedModel(everyExpert);
        ModelStates.RestoreLast(Run, study.Model, study.Eir);
        return study;
    }

    /// <summary>
    /// One forward pass of <paramref name="model"/> on <paramref name="batch"/> (<see cref="ModelInspection"/>: no gradients,
    /// evaluation mode): each level's and each expert's raw map at image resolution, the router's weights, and the loss terms
    /// training would see for it.
    /// </summary>
    public BatchInspection Inspect(StudyModel model, StudyBatch batch)
    {
        var inspection = ModelInspection.Run(model.Model, model.Eir, batch.Input, Config.Seed, batch.Images.shape[2], batch.Images.shape[3]);
        using var weights = inspection.RoutingWeights;
        var routing = new Charts.RoutingSummary(Rows(weights), model.Model.Options.Layout, batch.Titles);
        return new BatchInspection(inspection.LevelMaps, routing, inspection.Losses, model.Model.Options, inspection.ExpertMaps);
    }

    static double[][] Rows(Tensor weights)
    {
        using var cpu = weights.detach().cpu().to_type(ScalarType.Float64).contiguous();
        var flat = cpu.data<double>().ToArray();
        int e = (int)weights.shape[1];
        return Enumerable.Range(0, (int)weights.shape[0]).Select(i => flat.AsSpan(i * e, e).ToArray()).ToArray();
    }

    public void Dispose()
    {
        componentMasks?.Dispose();
        encoder?.Dispose();
    }
}
