namespace VisRL.Platform.Persistence.Entities;

/// <summary>The judge's self-critique of one candidate: s_r (answer) and s_b (crop alone), both in [0, 1].</summary>
public sealed class Score
{
    public long Id { get; set; }
    public long CandidateId { get; set; }
    /// <summary>Which judge scored (a checkpoint hash or an endpoint/model name).</summary>
    public required string JudgeId { get; set; }
    public double? AnswerScore { get; set; }
    public double? BoxScore { get; set; }
    /// <summary>Why a score is missing (unparseable reply, out of range, …), with the raw reply.</summary>
    public string? Error { get; set; }
    public string? RawReply { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
