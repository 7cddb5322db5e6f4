namespace VisRL.Platform.Persistence.Entities;

/// <summary>A checkpoint's score on a split, overall (Family = "all") or for one question family.</summary>
public sealed class Evaluation
{
    public long Id { get; set; }
    public Guid EvaluationRunId { get; set; }
    public required string Checkpoint { get; set; }
    public Guid DatasetId { get; set; }
    public required string Split { get; set; }
    /// <summary>"cot" (two-turn) or "direct" (no CoT).</summary>
    public required string Mode { get; set; }
    public required string Family { get; set; }
    public int ItemCount { get; set; }
    public double AnswerAccuracy { get; set; }
    public double? DetectionAccuracy { get; set; }
    public double? JudgeScore { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
