using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Interactive.Charts;
using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Model;
using AnomalyMoE.Objectives;
using AnomalyMoE.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Interactive.Studies;

/// <summary>
/// A batch as the engine feeds it to the model (<see cref="NotebookStudy.LoadBatch"/>): the <see cref="ModelBatch"/>
/// (normalised images <c>[B,3,H,W]</c>, token maps, the global experts' view, component masks) and the ground truth
/// <c>[B,1,H,W]</c>. Owns its tensors.
/// </summary>
public sealed class StudyBatch(ModelBatch model, Tensor groundTruth, EncoderInfo encoder) : IDisposable
{
    /// <summary>What the model is given.</summary>
    public ModelBatch Model { get; } = model;

    public IReadOnlyList<ImageRecord> Records => Model.Records;
    public Tensor Images => Model.Images;
    public EncoderOutput Tokens => Model.Tokens;
    public Tensor GroundTruth { get; } = groundTruth;

    /// <summary>Per image its component masks <c>[n,H,W]</c>; null when the model has no component experts.</summary>
    public IReadOnlyList<Tensor>? ComponentMasks => Model.ComponentMasks;

    public EncoderInfo Encoder { get; } = encoder;
    public int Count => Records.Count;

    /// <summary>
    /// <c>defect type/file name</c> of each image, after <c>category:</c> when the batch mixes categories (a unified model's
    /// batch), as the evaluation's routing labels name images.
    /// </summary>
    public string[] Titles
    {
        get
        {
            bool mixed = Records.Select(r => (r.Dataset, r.Category)).Distinct().Count() > 1;
            return Records.Select(r => $"{(mixed ? r.Category + ":" : "")}{r.DefectType}/{Path.GetFileNameWithoutExtension(r.Path)}").ToArray();
        }
    }

    /// <summary>The model's input, with the precomputed token maps (as the trainer and the detector pass them).</summary>
    public AnomalyMoEInput Input => Model.Input;

    /// <summary>Gallery panels: each image, <paramref name="maps"/> (<c>[B,1,h,w]</c>) over it, its ground truth outlined.</summary>
    public IReadOnlyList<MapPanel> Panels(Tensor? maps = null, IReadOnlyList<double>? scores = null, bool outlineGroundTruth = true) =>
        MapPanels.FromBatch(Images, Encoder.Normalization, Titles, maps, outlineGroundTruth ? GroundTruth : null, scores);

    public void Dispose()
    {
        Model.Dispose();
        GroundTruth.Dispose();
    }
}

/// <summary>A model and its EIR estimators (<see cref="NotebookStudy.UntrainedModel"/>, <see cref="NotebookStudy.TrainedModel"/>). Owns both.</summary>
public sealed class StudyModel(TrainingPreset preset, AnomalyMoEModel model, ExpertInformationRepulsion eir) : IDisposable
{
    public TrainingPreset Preset { get; } = preset;
    public AnomalyMoEModel Model { get; } = model;
    public ExpertInformationRepulsion Eir { get; } = eir;

    public StudyModel To(Device device)
    {
        Model.to(device);
        Eir.to(device);
        return this;
    }

    public void Dispose()
    {
        Model.Dispose();
        Eir.Dispose();
    }
}

/// <summary>
/// What one forward pass showed on a batch (<see cref="NotebookStudy.Inspect"/>): each level's raw map <c>[B,1,H,W]</c>
/// on the CPU, the router's weights per image, and the loss terms (<c>total</c>, <c>reconstruction</c>, <c>patch</c>,
/// <c>global</c>, <c>component</c>, and <c>esb</c>, <c>eir</c> when on). Owns its maps.
/// </summary>
public sealed class BatchInspection(LevelMapSet levelMaps, RoutingSummary routing, IReadOnlyDictionary<string, double> losses, AnomalyMoEOptions options,
    IReadOnlyList<(string Expert, Tensor Map)>? expertMaps = null) : IDisposable
{
    public LevelMapSet LevelMaps { get; } = levelMaps;

    /// <summary>Each expert's own map <c>[B,1,H,W]</c>, unweighted by the router, in routing order (those that ran).</summary>
    public IReadOnlyList<(string Expert, Tensor Map)> ExpertMaps { get; } = expertMaps ?? [];
    public RoutingSummary Routing { get; } = routing;
    public IReadOnlyDictionary<string, double> Losses { get; } = losses;
    public AnomalyMoEOptions Options { get; } = options;

    /// <summary>The levels the model has, with their maps: (<c>patch</c> | <c>global</c> | <c>component</c>, map).</summary>
    public IEnumerable<(string Level, Tensor Map)> Levels()
    {
        if (LevelMaps.Patch is { } p) yield return ("patch", p);
        if (LevelMaps.Global is { } g) yield return ("global", g);
        if (LevelMaps.Component is { } c) yield return ("component", c);
    }

    /// <summary>Whether any image of the batch routed weight to the level's experts (a level nobody selected has an all-zero map).</summary>
    public bool Routed(string level)
    {
        var experts = Options.Layout.Level(level);
        return Routing.Weights.Any(w => w.Skip(experts.Offset).Take(experts.Count).Any(v => v > 0));
    }

    /// <summary>One gallery per level: the batch's images under that level's map (one colour scale per level), ground truth outlined.</summary>
    public IEnumerable<MapGallery> Galleries(StudyBatch batch, string caption = "level map")
    {
        foreach (var (level, map) in Levels())
        {
            var note = Routed(level) ? "" : " — no image here was routed to this level, so its map is all zero";
            yield return MapGallery.SharedScale(batch.Panels(map), $"{level} {caption}{note}");
        }
    }

    public void Dispose()
    {
        LevelMaps.Dispose();
        foreach (var (_, map) in ExpertMaps) map.Dispose();
    }
}
