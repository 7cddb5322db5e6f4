namespace VisRL.Method.Filtering;

/// <summary>
/// Thresholds of the filter rule (DESIGN.md §1; VisRL data_gen/filter.py: accuracy_max_thred 0.8,
/// accuracy_min_thred 0.2, accuracy_bbox_max_thred 0.8, accuracy_bbox_min_thred 0.2).
/// </summary>
public sealed record PairFilterOptions
{
    /// <summary>T_max^r: the best answer score must be at least this.</summary>
    public double MaxAnswerThreshold { get; init; } = 0.8;

    /// <summary>T_min^r: the worst answer score must be at most this.</summary>
    public double MinAnswerThreshold { get; init; } = 0.2;

    /// <summary>T_max^b: a winner's box score must be at least this.</summary>
    public double MaxBoxThreshold { get; init; } = 0.8;

    /// <summary>T_min^b: a loser's box score must be at most this.</summary>
    public double MinBoxThreshold { get; init; } = 0.2;

    /// <summary>Off: s_b is ignored (neither required nor tested) — the "w/o box critic" ablation.</summary>
    public bool UseBoxCritic { get; init; } = true;

    /// <summary>At most this many distinct (winner, loser) pairs per item.</summary>
    public int PairsPerItem { get; init; } = 1;

    public static PairFilterOptions Default { get; } = new();

    public void Validate()
    {
        Unit(MaxAnswerThreshold, nameof(MaxAnswerThreshold));
        Unit(MinAnswerThreshold, nameof(MinAnswerThreshold));
        Unit(MaxBoxThreshold, nameof(MaxBoxThreshold));
        Unit(MinBoxThreshold, nameof(MinBoxThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(PairsPerItem, 1);
    }

    private static void Unit(double value, string name)
    {
        if (!(value >= 0 && value <= 1)) throw new ArgumentOutOfRangeException(name, value, "a threshold must be within [0, 1]");
    }
}
