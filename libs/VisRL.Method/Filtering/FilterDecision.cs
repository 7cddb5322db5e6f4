namespace VisRL.Method.Filtering;

/// <summary>
/// The pair filter's verdict on one item: the pairs (empty unless kept), why, and how many candidates
/// were used or ignored for missing or invalid scores, so statistics can count why items are dropped.
/// </summary>
/// <param name="Description">The reason in words with the thresholds, e.g. "no winner with s_b ≥ 0.8".</param>
public sealed record FilterDecision(
    FilterReason Reason,
    string Description,
    IReadOnlyList<PreferencePair> Pairs,
    int UsedCandidates,
    int IgnoredCandidates,
    double? MaxAnswerScore,
    double? MinAnswerScore)
{
    public bool Kept => Reason == FilterReason.Kept;
}
