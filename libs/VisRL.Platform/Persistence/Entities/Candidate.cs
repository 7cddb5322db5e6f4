namespace VisRL.Platform.Persistence.Entities;

/// <summary>
/// One sampled candidate: a box (the model's own, or the diversity controller's) and the answer
/// given that box's crop. (iteration, item, attempt, kind) is unique: redelivery duplicates nothing.
/// </summary>
public sealed class Candidate
{
    public long Id { get; set; }
    public Guid IterationId { get; set; }
    public long ItemId { get; set; }
    public int Attempt { get; set; }
    /// <summary>"own" or "diverse".</summary>
    public required string Kind { get; set; }
    public required string BoxText { get; set; }
    /// <summary>Parsed box, normalized xyxy; null when the text did not parse.</summary>
    public float? X1 { get; set; }
    public float? Y1 { get; set; }
    public float? X2 { get; set; }
    public float? Y2 { get; set; }
    public string? BoxParseError { get; set; }
    public required string Answer { get; set; }
    public double? BoxLogProb { get; set; }
    public double? AnswerLogProb { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
