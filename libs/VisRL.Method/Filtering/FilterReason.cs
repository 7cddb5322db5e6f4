namespace VisRL.Method.Filtering;

/// <summary>Why the pair filter kept or dropped an item, in the order the rule checks them.</summary>
public enum FilterReason
{
    Kept,
    /// <summary>No candidate has the scores the rule needs (all missing or invalid).</summary>
    NoScoredCandidates,
    /// <summary>max(s_r) == min(s_r): nothing to prefer.</summary>
    AllEqual,
    /// <summary>max(s_r) &lt; T_max^r: no candidate answered well enough.</summary>
    MaxBelowThreshold,
    /// <summary>min(s_r) &gt; T_min^r: no candidate answered badly enough.</summary>
    MinAboveThreshold,
    /// <summary>No max-s_r candidate has s_b ≥ T_max^b (a loser exists).</summary>
    NoWinner,
    /// <summary>No min-s_r candidate has s_b ≤ T_min^b (a winner exists).</summary>
    NoLoser,
    /// <summary>Neither a winner nor a loser passes the box critic.</summary>
    NoWinnerNorLoser,
}
