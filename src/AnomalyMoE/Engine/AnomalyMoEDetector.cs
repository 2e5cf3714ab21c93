using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Experts;
using AnomalyMoE.Maps;
using AnomalyMoE.Model;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Engine;

/// <summary>
/// AnomalyMoE inference: per-level maps of every image, then fusion — over the whole set (reference test.py) or calibrated
/// per category (<see cref="SetScoring"/>).
/// </summary>
/// <remarks>With <see cref="GlobalMapKind.LayoutMemory"/> the global level's map of each category <paramref name="layouts"/> covers
/// comes from its memory, and with <see cref="ComponentMapKind.Memory"/> the component level's map of each category
/// <paramref name="components"/> covers; such a map is unweighted by the router, since no expert drew it.</remarks>
public sealed class AnomalyMoEDetector(TrainingPreset preset, AnomalyMoEModel model, IFeatureEncoder encoder, ComponentMaskSet masks, Device device,
    RunCalibration? calibration = null, DetectorSettings? settings = null, LayoutMemorySet? layouts = null, ComponentMemorySet? components = null)
    : LevelMapDetector(calibration)
{
    public override string Method => "anomalymoe";
    public TrainingPreset Preset => preset;
    public override DetectorSettings Settings { get; } = settings ?? Detectors.SettingsOf(preset);
    public AnomalyMoEModel Model => model;

    public override IReadOnlyList<string> ExpertNames { get; } = preset.Model.Layout.ExpertNames;

    protected override LevelPredictions PredictLevels(IReadOnlyList<ImageRecord> records, IProgress<ProgressUpdate>? progress, CancellationToken cancellationToken)
    {
        var o = preset.Model;
        var loader = new ImageBatchLoader(records, preset.Transform, new BatchLoaderOptions(preset.EvaluationBatchSize, WithJitter: false));
        var patch = new List<Tensor>();
        var global = new List<Tensor>();
        var component = new List<Tensor>();
        var weights = new List<Tensor>();
        var selected = new List<float[]>();
        var globalByMemory = new List<bool>();      // per image, whether a layout memory drew its global map
        var componentByMemory = new List<bool>();   // per image, whether a component memory drew its component map
        int done = 0;
        try
        {
            using var noGrad = no_grad();
            model.eval();
            foreach (var batch in loader.Batches(cancellationToken))
            {
                using (batch)
                using (var scope = NewDisposeScope())
                {
                    using var inputs = ModelBatch.ForEvaluation(batch, preset, encoder, masks, device);
                    var (images, tokens) = (inputs.Images, inputs.Tokens);
                    using var output = model.forward(inputs.Input);
                    using var levels = model.LevelMaps(output, images.shape[2], images.shape[3]);
                    if (levels.Patch is { } p) patch.Add(p.cpu().DetachFromDisposeScope());
                    if (levels.Global is { } g)
                    {
                        global.Add((layouts is null ? g : layouts.Map(batch.Records, tokens, g)).cpu().DetachFromDisposeScope());
                        globalByMemory.AddRange(batch.Records.Select(r => layouts?.Covers(r) ?? false));
                    }
                    if (levels.Component is { } c)
                    {
                        // With component experts the batch always has masks, so the output holds their features.
                        component.Add((components is null ? c : components.Map(batch.Records, output.Components!, inputs.ComponentMasks!, c)).cpu().DetachFromDisposeScope());
                        componentByMemory.AddRange(batch.Records.Select(r => components?.Covers(r) ?? false));
                    }
                    weights.Add(output.Routing.Weights.cpu().DetachFromDisposeScope());
                    using var mask = output.Routing.Mask.cpu().to_type(ScalarType.Float32);
                    for (int b = 0; b < batch.Count; b++) selected.Add(mask[b].data<float>().ToArray());
                }
                done += batch.Count;
                progress.Report("evaluate", done, records.Count);
            }
            using var allWeights = cat(weights, 0);
            var levelsOut = new List<LevelMap>();
            foreach (var (parts, level) in new[] { patch, global, component }.Zip(o.Layout.Levels))
            {
                if (parts.Count == 0 || level.Count == 0) continue;
                var groupWeight = allWeights[.., level.Slice].amax([1]).contiguous();
                var (memoryChosen, memoryScored) = level.Name switch
                {
                    ExpertLevels.Global => (layouts is not null, globalByMemory),
                    ExpertLevels.Component => (components is not null, componentByMemory),
                    _ => (false, new List<bool>()),
                };
                // A level meant to be drawn by a memory keeps its trained map where no memory covers the category: it is still
                // scored alone, but left out of the fused score, since the trained map scores at chance at the cpu budgets and its
                // statistics on a few memorised clips miss unseen normals by far (docs/engine.md, Global map, Component map).
                bool fused = !memoryChosen || memoryScored.Contains(true);
                if (memoryScored.Contains(true))
                {
                    // No expert drew a memory's map, so no routing weight applies to it.
                    using var byMemory = tensor(memoryScored.ToArray());
                    using var routed = groupWeight;
                    using var unweighted = ones_like(routed);
                    groupWeight = where(byMemory, unweighted, routed);
                }
                levelsOut.Add(new LevelMap(level.Name, cat(parts, 0), groupWeight, fused));
            }
            return new LevelPredictions(levelsOut, selected.ToArray());
        }
        finally
        {
            foreach (var t in patch.Concat(global).Concat(component).Concat(weights)) t.Dispose();
        }
    }

    public override void Dispose()
    {
        model.Dispose();
        masks.Dispose();
        layouts?.Dispose();
        components?.Dispose();
        encoder.Dispose();
    }
}
