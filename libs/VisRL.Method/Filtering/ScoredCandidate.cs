namespace VisRL.Method.Filtering;

/// <summary>One candidate of an item with its self-critique scores (null when the critic gave none).</summary>
/// <param name="AnswerScore">s_r: the answer against the standard answer, in [0, 1].</param>
/// <param name="BoxScore">s_b: whether the crop alone holds what the standard answer needs, in [0, 1].</param>
public sealed record ScoredCandidate(long CandidateId, double? AnswerScore, double? BoxScore);
