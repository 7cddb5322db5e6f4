namespace VisRL.DataGeneration;

/// <summary>
/// s_r and s_b of one candidate; a missing score has its reason in <see cref="Error"/> (reasons joined
/// by "; "). <see cref="RawReply"/> keeps an HTTP judge's reply texts (null in-process).
/// </summary>
public sealed record CriticResult(long CandidateId, double? AnswerScore, double? BoxScore, string? Error, string? RawReply = null);
