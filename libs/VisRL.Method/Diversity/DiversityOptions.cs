namespace VisRL.Method.Diversity;

/// <summary>
/// Knobs of the diversity controller. Defaults are the paper's and the reference code's
/// (data_gen/generate.py: IoU &gt; 0.05, ±30 %, +0.1 every 20 tries, max_attempts=100 at the call site).
/// </summary>
public sealed record DiversityOptions
{
    /// <summary>A second sample whose IoU with the first box is above this is replaced.</summary>
    public double IouThreshold { get; init; } = 0.05;

    /// <summary>Initial size margin: width and height each within ±margin of the first box's.</summary>
    public double SizeMargin { get; init; } = 0.3;

    /// <summary>How much the margin widens after every <see cref="TriesPerStep"/> failed tries.</summary>
    public double MarginStep { get; init; } = 0.1;

    public int TriesPerStep { get; init; } = 20;

    /// <summary>Random tries before the fallback; bounds the work even when no box can fit.</summary>
    public int MaxTries { get; init; } = 100;

    /// <summary>
    /// The smallest side (fraction of the image) a fallback box may have: a thinner crop holds
    /// next to nothing, so below this the choice is <see cref="DiversityOutcome.Infeasible"/>.
    /// </summary>
    public double MinSide { get; init; } = 0.01;

    public static DiversityOptions Default { get; } = new();

    public void Validate()
    {
        if (!(IouThreshold >= 0 && IouThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(IouThreshold), IouThreshold, "must be within [0, 1]");
        if (!(SizeMargin >= 0 && double.IsFinite(SizeMargin))) throw new ArgumentOutOfRangeException(nameof(SizeMargin), SizeMargin, "must be ≥ 0");
        if (!(MarginStep >= 0 && double.IsFinite(MarginStep))) throw new ArgumentOutOfRangeException(nameof(MarginStep), MarginStep, "must be ≥ 0");
        ArgumentOutOfRangeException.ThrowIfLessThan(TriesPerStep, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxTries);
        if (!(MinSide > 0 && MinSide <= 1)) throw new ArgumentOutOfRangeException(nameof(MinSide), MinSide, "must be within (0, 1]");
    }
}
