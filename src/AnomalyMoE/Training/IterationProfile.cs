using System.Diagnostics;

namespace AnomalyMoE.Training;

/// <summary>
/// Wall time per phase of training iterations (encoder, component masks, forward, loss, backward, clipping, optimiser, the
/// CLUB estimators' step), summed over the iterations it was handed to. On CPU every TorchSharp call returns when its work
/// is done, so a phase's time is the time of its kernels plus the framework's overhead around them.
/// </summary>
/// <param name="SkipIterations">Iterations left out at the start (the encoder's cache fills and the allocator settles).</param>
public sealed class IterationProfile(int SkipIterations = 0)
{
    /// <summary>The phases in iteration order, as the table lists them.</summary>
    public static IReadOnlyList<string> Phases { get; } =
        ["data", "encoder", "component masks", "forward", "loss", "backward", "clip", "optimiser", "estimator forward", "estimator step"];

    readonly Dictionary<string, double> milliseconds = new(StringComparer.Ordinal);
    readonly Stopwatch clock = new();

    int seen;

    /// <summary>Iterations measured.</summary>
    public int Iterations => Math.Max(0, seen - SkipIterations);

    /// <summary>Summed milliseconds per phase that ran.</summary>
    public IReadOnlyDictionary<string, double> Milliseconds => milliseconds;

    /// <summary>Starts timing the next phase of an iteration.</summary>
    public void Start() => clock.Restart();

    /// <summary>Adds the time since the last <see cref="Start"/> or <see cref="Lap"/> to <paramref name="phase"/>.</summary>
    public void Lap(string phase)
    {
        if (!Phases.Contains(phase)) throw new ArgumentException($"Unknown profile phase '{phase}'.", nameof(phase));
        if (seen >= SkipIterations) milliseconds[phase] = milliseconds.GetValueOrDefault(phase) + clock.Elapsed.TotalMilliseconds;
        clock.Restart();
    }

    /// <summary>Marks the end of one iteration.</summary>
    public void EndIteration() => seen++;

    /// <summary>Mean milliseconds per iteration of each phase that ran, in <see cref="Phases"/> order.</summary>
    public IReadOnlyList<(string Phase, double MillisecondsPerIteration)> PerIteration() =>
        Phases.Where(milliseconds.ContainsKey).Select(p => (p, milliseconds[p] / Math.Max(1, Iterations))).ToList();
}
