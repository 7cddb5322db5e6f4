namespace VisRL.Platform.Persistence.Entities;

/// <summary>One item's outcome in an evaluation, so two checkpoints can be compared item by item (paired).</summary>
public sealed class EvaluationItem
{
    public long Id { get; set; }
    public Guid EvaluationRunId { get; set; }
    /// <summary>The item's position in the evaluated split, in ordinal order.</summary>
    public int Position { get; set; }
    public required string Family { get; set; }
    public bool AnswerCorrect { get; set; }
    /// <summary>Null in the direct (no-CoT) mode, which gives no box.</summary>
    public bool? DetectionHit { get; set; }
}
