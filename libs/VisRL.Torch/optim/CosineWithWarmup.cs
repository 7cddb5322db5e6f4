namespace VisRL.Torch.Optimizers;

/// <summary>
/// Linear warm-up from 0 to the optimizer's initial rate over <c>warmupSteps</c>, then a half
/// cosine down to <c>minRatio</c> × initial at <c>totalSteps</c> — the schedule of Hugging Face's
/// get_cosine_schedule_with_warmup (with minRatio = 0), which the reference VisRL training uses.
/// </summary>
public sealed class CosineWithWarmup
{
    private readonly AdamW _optimizer;
    private readonly long _warmupSteps;
    private readonly long _totalSteps;
    private readonly double _minRatio;

    public CosineWithWarmup(AdamW optimizer, long warmupSteps, long totalSteps, double minRatio = 0.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(warmupSteps, totalSteps);
        _optimizer = optimizer;
        _warmupSteps = warmupSteps;
        _totalSteps = totalSteps;
        _minRatio = minRatio;
        _optimizer.LearningRate = _optimizer.InitialLearningRate * Factor(0, warmupSteps, totalSteps, minRatio);
    }

    /// <summary>Number of <see cref="step"/> calls so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Advances one step and sets the optimizer's learning rate for the next one.</summary>
    public void step()
    {
        StepCount++;
        _optimizer.LearningRate = _optimizer.InitialLearningRate * Factor(StepCount, _warmupSteps, _totalSteps, _minRatio);
    }

    public double get_last_lr() => _optimizer.LearningRate;

    /// <summary>The multiplier of the initial rate at <paramref name="step"/>.</summary>
    public static double Factor(long step, long warmupSteps, long totalSteps, double minRatio = 0.0)
    {
        if (step < warmupSteps) return (double)step / Math.Max(1, warmupSteps);
        var progress = (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
        var cosine = 0.5 * (1.0 + Math.Cos(Math.PI * Math.Min(progress, 1.0)));
        return minRatio + (1.0 - minRatio) * cosine;
    }
}
