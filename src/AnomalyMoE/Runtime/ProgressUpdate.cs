namespace AnomalyMoE.Runtime;

/// <summary>
/// One step of a long task (training, evaluation, synthesis, download). Library code reports
/// through <see cref="IProgress{T}"/>; the command line renders it as a progress bar with ETA,
/// a notebook as a live display. <paramref name="Values"/> carries live numbers such as loss components.
/// </summary>
public sealed record ProgressUpdate(string Task, long Done, long Total, IReadOnlyDictionary<string, double>? Values = null)
{
    public double Fraction => Total <= 0 ? 0 : Math.Clamp((double)Done / Total, 0, 1);
}

/// <summary>Helpers for optional progress sinks.</summary>
public static class ProgressExtensions
{
    public static void Report(this IProgress<ProgressUpdate>? progress, string task, long done, long total,
        IReadOnlyDictionary<string, double>? values = null) => progress?.Report(new ProgressUpdate(task, done, total, values));
}
