using AnomalyMoE.Runtime;
using AnomalyMoE.Synthetic;
using AnomalyMoE.Training;

namespace AnomalyMoE.Interactive.Studies;

/// <summary>
/// What a notebook study runs: one category — or, with <see cref="AllCategories"/>, every category in one unified model —
/// of a real MVTec-layout dataset (<see cref="DataRoot"/>) or, without one, of the synthetic family of the notebook's domain, trained and evaluated by the engine exactly as <c>amoe train</c> and
/// <c>amoe test</c> do, with a training preset and an iteration count sized for a laptop CPU.
/// </summary>
/// <param name="Family">Synthetic family used when no real data is given (industrial, logical, 3d, medical, video).</param>
/// <param name="DataRoot">A prepared MVTec-layout dataset root (one folder per category); null = synthetic.</param>
/// <param name="Category">Category to study; null = the first one (every one with <paramref name="AllCategories"/>).</param>
/// <param name="Preset">Training preset (<see cref="TrainingPresets"/>): <c>cpu-tiny</c> for the notebooks, <c>micro</c> for the tests.</param>
/// <param name="Iterations">Training iterations (the preset's own count when null).</param>
/// <param name="Seed">Training seed (<c>amoe train --seed</c>).</param>
/// <param name="SynthSize">Side of the synthetic images (<c>amoe synth --size</c>).</param>
/// <param name="SynthTrain">Synthetic training images per category (<c>amoe synth --train</c>).</param>
/// <param name="SynthTest">Synthetic test images per category (<c>amoe synth --test</c>).</param>
/// <param name="SynthSeed">Seed of the synthetic data (<c>amoe synth --seed</c>).</param>
/// <param name="Device">Where to train and evaluate (<c>--device</c>).</param>
/// <param name="WorkDirectory">Where the synthetic data and the run folders go; null = a folder under the system temp folder.</param>
/// <param name="AllCategories">
/// Train one unified model on every category of the dataset or family and evaluate each apart, as the paper does, unless
/// <paramref name="Category"/> names one. The iteration budget is that of the whole run, not per category (see <see cref="CpuTiny"/>).
/// </param>
public sealed record StudyOptions(
    string Family = SyntheticFamilies.Industrial,
    string? DataRoot = null,
    string? Category = null,
    string Preset = "cpu-tiny",
    int? Iterations = null,
    int Seed = 42,
    int SynthSize = 160,
    int SynthTrain = 16,
    int SynthTest = 60,
    int SynthSeed = 0,
    DeviceChoice Device = DeviceChoice.Auto,
    string? WorkDirectory = null,
    bool AllCategories = false)
{
    /// <summary>
    /// The notebooks' setting: <c>cpu-tiny</c> for 400 iterations of batch 8 on 16 training and 60 test images of one
    /// category (enough for means stable to about ±0.02), under five minutes per notebook on an otherwise idle 2-core CPU.
    /// The preset's 1100 iterations are sized for the quickstart's 11 categories trained together. One category sees
    /// 200 epochs in 400 iterations, and on the synthetic 3D cookie 400 iterations matched 1100
    /// (docs/engine.md, "Notebook budget"). A unified run over several categories (<see cref="AllCategories"/>) keeps the
    /// same 400 iterations in total rather than 400 per category: at about 19 images/s that is about 170 s of training, and
    /// the three synthetic categories each still see about 65 epochs; 400 per category would triple it past the five minutes.
    /// </summary>
    public static StudyOptions CpuTiny { get; } = new(Iterations: NotebookIterations);

    /// <summary>The notebooks' training iterations for one run (<see cref="CpuTiny"/>).</summary>
    public const int NotebookIterations = 400;

    /// <summary>
    /// The headless-test setting (<c>ANOMALYMOE_NOTEBOOK_FAST=1</c>): the <c>micro</c> preset (64 px) for 3 iterations on 4
    /// training and 10 test images — it checks that every cell runs, not what the model learns.
    /// </summary>
    public static StudyOptions Fast { get; } = new(Preset: "micro", Iterations: 3, SynthSize: 64, SynthTrain: 4, SynthTest: 10);

    /// <summary>
    /// <see cref="Fast"/> when <c>ANOMALYMOE_NOTEBOOK_FAST</c> is 1 or true, else <see cref="CpuTiny"/>; the work folder from
    /// <c>ANOMALYMOE_NOTEBOOK_WORK</c> when set.
    /// </summary>
    public static StudyOptions FromEnvironment()
    {
        var fast = Environment.GetEnvironmentVariable("ANOMALYMOE_NOTEBOOK_FAST");
        var options = fast is "1" || string.Equals(fast, "true", StringComparison.OrdinalIgnoreCase) ? Fast : CpuTiny;
        var work = Environment.GetEnvironmentVariable("ANOMALYMOE_NOTEBOOK_WORK");
        return string.IsNullOrWhiteSpace(work) ? options : options with { WorkDirectory = work };
    }

    /// <summary>
    /// These options with the iteration budget shared by <paramref name="runs"/> training runs, at least one iteration each.
    /// Used by a notebook that trains several models, e.g. 03's RGB and depth runs, to keep its total training time that of one run.
    /// </summary>
    public StudyOptions SharedBy(int runs)
    {
        if (runs < 1) throw new AnomalyMoEException($"SharedBy(runs: {runs}): a training budget is shared by at least one run.");
        int total = Iterations ?? TrainingPresets.Get(Preset).Iterations;
        return this with { Iterations = Math.Max(1, total / runs) };
    }

    /// <summary>Whether these are the <see cref="Fast"/> settings (whatever family, data, categories or work folder).</summary>
    public bool IsFast => this with { Family = Fast.Family, DataRoot = null, Category = null, WorkDirectory = null, AllCategories = false } == Fast;

    /// <summary>The real dataset root from <c>ANOMALYMOE_DATA</c> joined with <paramref name="datasetFolder"/> when that folder exists; else null.</summary>
    public static string? DataRootFromEnvironment(string datasetFolder)
    {
        var root = Environment.GetEnvironmentVariable("ANOMALYMOE_DATA");
        if (string.IsNullOrWhiteSpace(root)) return null;
        var path = Path.Combine(root, datasetFolder);
        return Directory.Exists(path) ? path : null;
    }

    /// <summary>Throws <see cref="AnomalyMoEException"/> naming the first bad value; returns these options otherwise.</summary>
    public StudyOptions Validate()
    {
        if (DataRoot is null && !SyntheticFamilies.Names.Contains(Family))
            throw new AnomalyMoEException($"Family '{Family}' is unknown; choose one of {string.Join(", ", SyntheticFamilies.Names)}.");
        if (DataRoot is not null && !Directory.Exists(DataRoot)) throw new AnomalyMoEException($"DataRoot '{DataRoot}' does not exist.");
        TrainingPresets.Get(Preset);
        if (Iterations is < 1) throw new AnomalyMoEException("Iterations must be at least 1 (or null for the preset's).");
        if (DataRoot is null)
            new SynthOptions([Family], SynthSeed, SynthSize, SynthTrain, SynthTest).Validate();
        return this;
    }
}
