namespace AnomalyMoE.Training;

/// <summary>
/// Learning rate by iteration as the reference's WarmCosineScheduler: a linear warm-up from
/// <see cref="StartWarmupValue"/> to <see cref="BaseValue"/> over <see cref="WarmupIterations"/> points
/// (numpy <c>linspace</c>, both ends included), then a cosine from the base value down to
/// <see cref="FinalValue"/>; the final value after <see cref="TotalIterations"/>. Iteration 0 gets the first value.
/// </summary>
public sealed record WarmCosineSchedule(double BaseValue, double FinalValue, int TotalIterations, int WarmupIterations = 100, double StartWarmupValue = 0)
{
    /// <summary>The reference: lr 5e-4, cosine to 1 % of it, 100 warm-up iterations.</summary>
    public static WarmCosineSchedule Reference(int totalIterations, double baseValue = 5e-4, int warmupIterations = 100) =>
        new(baseValue, baseValue * 0.01, totalIterations, Math.Min(warmupIterations, Math.Max(0, totalIterations - 1)));

    public WarmCosineSchedule Validate()
    {
        if (TotalIterations <= 0) throw new ArgumentException($"Schedule total iterations must be > 0, got {TotalIterations}.");
        if (WarmupIterations < 0 || WarmupIterations >= TotalIterations)
            throw new ArgumentException($"Warm-up iterations must be in [0, {TotalIterations}), got {WarmupIterations}.");
        return this;
    }

    public double At(int iteration)
    {
        if (iteration < 0) throw new ArgumentOutOfRangeException(nameof(iteration), iteration, "Iteration must be ≥ 0.");
        if (iteration >= TotalIterations) return FinalValue;
        if (iteration < WarmupIterations)
        {
            return WarmupIterations == 1
                ? StartWarmupValue
                : StartWarmupValue + (BaseValue - StartWarmupValue) * iteration / (WarmupIterations - 1);
        }
        int i = iteration - WarmupIterations, n = TotalIterations - WarmupIterations;
        return FinalValue + 0.5 * (BaseValue - FinalValue) * (1 + Math.Cos(Math.PI * i / n));
    }
}
