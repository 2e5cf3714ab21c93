using System.Diagnostics;
using AnomalyMoE.Encoders;
using AnomalyMoE.Model;
using AnomalyMoE.Objectives;
using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using AnomalyMoE.Synthetic;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Training;

/// <summary>Medians of the forward pass and of a whole training iteration at a parity fixture's configuration.</summary>
public sealed record StepBenchmarkResult(int BatchSize, int ImageSize, int Runs, double ForwardMs, double TrainStepMs);

/// <summary>Throughput and memory of real training with a preset.</summary>
/// <param name="WorkingSetAt">Resident set size (bytes) after the iterations the trainer samples: 100, 1000 and the last.</param>
public sealed record TrainBenchmarkResult(string Preset, int Iterations, int BatchSize, double ImagesPerSecond, double SecondsPerIteration, long PeakWorkingSetBytes,
    IReadOnlyDictionary<int, long> WorkingSetAt, EncoderPrecision Precision = EncoderPrecision.Float32)
{
    /// <summary>Iteration after which the memory baseline is taken: allocator pools and caches have settled by then.</summary>
    public const int BaselineIteration = 100;

    /// <summary>RSS after iteration 100; null for shorter runs.</summary>
    public long? WorkingSetAtBaseline => WorkingSetAt.TryGetValue(BaselineIteration, out var v) ? v : null;

    /// <summary>RSS after the last iteration (and its checkpoint).</summary>
    public long? WorkingSetAtEnd => WorkingSetAt.TryGetValue(Iterations, out var v) ? v : null;

    /// <summary>RSS growth per 100 iterations from iteration 100 to the last, in bytes; null unless the run went past 100.</summary>
    public double? GrowthPer100Iterations =>
        Iterations > BaselineIteration && WorkingSetAtBaseline is { } start && WorkingSetAtEnd is { } end
            ? (end - start) * 100.0 / (Iterations - BaselineIteration)
            : null;
}

/// <summary>One variant of <see cref="TrainingBenchmark.Profile"/>: milliseconds per iteration of each phase, their sum and images/s.</summary>
public sealed record ProfileRow(string Levels, int BatchSize, int Iterations, IReadOnlyList<(string Phase, double MillisecondsPerIteration)> Phases,
    double MillisecondsPerIteration, double ImagesPerSecond);

/// <summary>Speed measurements behind <c>amoe bench step</c> and <c>amoe bench train</c>.</summary>
public static class TrainingBenchmark
{
    /// <summary>
    /// Times, on a parity fixture (<c>model.pth</c>, <c>expected.pth</c> inputs, <c>meta.json</c>), the no-grad forward pass
    /// and the whole iteration (main step + estimator step), each median of <paramref name="runs"/> after one warm-up.
    /// </summary>
    public static StepBenchmarkResult Step(string fixtureDirectory, int runs = 5, DeviceChoice deviceChoice = DeviceChoice.Auto)
    {
        TorchRuntime.EnsureLoaded();
        if (!Directory.Exists(fixtureDirectory)) throw new AnomalyMoEException($"Fixture folder '{fixtureDirectory}' does not exist.");
        if (runs < 1) throw new AnomalyMoEException($"--runs must be at least 1, got {runs}.");
        var device = TorchRuntime.Resolve(deviceChoice);
        var options = OfficialParity.ReadOptions(Path.Combine(fixtureDirectory, "meta.json")) with { Execution = ExpertExecution.Dense };
        var inputs = TorchFile.LoadTensors(Path.Combine(fixtureDirectory, "expected.pth"));
        try
        {
            using var model = AnomalyMoEModel.Load(Path.Combine(fixtureDirectory, "model.pth"), options);
            model.to(device);
            var image = inputs["input.image_st"].to(device);
            var jittered = inputs["input.image_ae"].to(device);
            var masks = Enumerable.Range(0, int.MaxValue).Select(i => $"input.masks{i}").TakeWhile(inputs.ContainsKey).Select(k => inputs[k].to(device)).ToArray();
            var input = new AnomalyMoEInput(image, jittered, masks);
            using var eir = new ExpertInformationRepulsion(new ExpertInformationRepulsionOptions(options.EmbedDim, options.Objectives.ClubLikelihood));
            eir.to(device);
            using var optimizer = new StableAdamW(model.named_parameters().Where(p => !p.name.StartsWith("encoder.", StringComparison.Ordinal)));
            using var estimatorOptimizer = new Adam(eir.named_parameters(), 5e-4, 1e-4);
            var random = new Random(0);
            double Forward()
            {
                var clock = Stopwatch.StartNew();
                using (no_grad())
                using (var scope = NewDisposeScope())
                {
                    model.eval();
                    using var output = model.forward(input);
                    output.Routing.Weights.sum().item<float>();
                }
                return clock.Elapsed.TotalMilliseconds;
            }
            double Train()
            {
                var clock = Stopwatch.StartNew();
                using (var scope = NewDisposeScope()) AnomalyMoETrainer.Step(model, eir, input, optimizer, estimatorOptimizer, 5e-4, random);
                return clock.Elapsed.TotalMilliseconds;
            }
            Forward();
            var forward = Median(Enumerable.Range(0, runs).Select(_ => Forward()));
            Train();
            var train = Median(Enumerable.Range(0, runs).Select(_ => Train()));
            return new StepBenchmarkResult((int)image.shape[0], (int)image.shape[2], runs, forward, train);
        }
        finally
        {
            foreach (var t in inputs.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Trains <paramref name="iterations"/> iterations of a preset on a small synthetic set (all five families, written to a
    /// temporary folder) and reports images/s over the training loop, the peak working set and the working set after
    /// iteration 100 and after the last (the memory-growth check of a long run).
    /// </summary>
    public static TrainBenchmarkResult Train(TrainingPreset preset, int iterations, DeviceChoice device = DeviceChoice.Auto, IProgress<ProgressUpdate>? progress = null,
        EncoderPrecision precision = EncoderPrecision.Float32)
    {
        if (iterations < 1) throw new AnomalyMoEException($"--iters must be at least 1, got {iterations}.");
        var folder = Path.Combine(Path.GetTempPath(), $"amoe-bench-train-{Guid.NewGuid():N}");
        try
        {
            var synth = new SynthOptions(SyntheticFamilies.Names, Seed: 0, Size: 160, TrainPerCategory: Math.Max(2, preset.BatchSize), TestPerCategory: 10);
            SyntheticBenchmark.Generate(synth, Path.Combine(folder, "data"), progress);
            var config = new TrainingRunConfig
            {
                Preset = preset.Name,
                Data = SyntheticFamilies.Names.Select(f => new DataRoot(Path.Combine(folder, "data", f), [])).ToList(),
                Iterations = iterations,
            };
            var result = AnomalyMoETrainer.Train(new RunDirectory(Path.Combine(folder, "run")), config, new TrainingSettings(device, Precision: precision), progress);
            var resolved = config.ResolvePreset();
            return new TrainBenchmarkResult(preset.Name, result.CompletedIterations, resolved.BatchSize, result.ImagesPerSecond,
                resolved.BatchSize / Math.Max(result.ImagesPerSecond, 1e-9), result.PeakWorkingSetBytes, result.WorkingSetAt, precision);
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Profiles a preset's training iteration by phase (<see cref="IterationProfile"/>): the whole model, then each expert
    /// level alone (the <c>levels</c> switch), so a level's forward and backward cost is its own row. Each variant trains
    /// <paramref name="warmup"/> + <paramref name="iterations"/> iterations on a small synthetic set with enough images that
    /// the warm-up fills the encoder's cache; only the later iterations are timed.
    /// </summary>
    public static IReadOnlyList<ProfileRow> Profile(TrainingPreset preset, int iterations, int warmup, int? batchSize = null,
        DeviceChoice device = DeviceChoice.Auto, IReadOnlyList<string>? variants = null)
    {
        if (iterations < 1) throw new AnomalyMoEException($"--iters must be at least 1, got {iterations}.");
        if (warmup < 0) throw new AnomalyMoEException($"--warmup must not be negative, got {warmup}.");
        int batch = batchSize ?? preset.BatchSize;
        if (batch < 1) throw new AnomalyMoEException($"--batch must be at least 1, got {batch}.");
        variants ??= ["pcg", "p", "c", "g"];
        var folder = Path.Combine(Path.GetTempPath(), $"amoe-bench-profile-{Guid.NewGuid():N}");
        try
        {
            // Enough images per category that the warm-up's batches cover the whole set once: the timed iterations read the cache.
            int categories = SyntheticFamilies.Names.Sum(f => SyntheticFamilies.Categories(f).Count);
            int perCategory = Math.Max(2, (int)Math.Ceiling((double)Math.Max(1, warmup) * batch / categories));
            var synth = new SynthOptions(SyntheticFamilies.Names, Seed: 0, Size: 160, TrainPerCategory: perCategory, TestPerCategory: 10);
            SyntheticBenchmark.Generate(synth, Path.Combine(folder, "data"));
            var rows = new List<ProfileRow>();
            foreach (var levels in variants)
            {
                var config = new TrainingRunConfig
                {
                    Preset = preset.Name,
                    Data = SyntheticFamilies.Names.Select(f => new DataRoot(Path.Combine(folder, "data", f), [])).ToList(),
                    Iterations = warmup + iterations,
                    BatchSize = batchSize,
                    Levels = levels,
                };
                var profile = new IterationProfile(warmup);
                var clock = Stopwatch.StartNew();
                AnomalyMoETrainer.Train(new RunDirectory(Path.Combine(folder, "run-" + levels)), config, new TrainingSettings(device), profile: profile);
                var phases = profile.PerIteration();
                double total = phases.Sum(p => p.MillisecondsPerIteration);
                rows.Add(new ProfileRow(levels, batch, profile.Iterations, phases, total, batch * 1000.0 / Math.Max(total, 1e-9)));
            }
            return rows;
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
