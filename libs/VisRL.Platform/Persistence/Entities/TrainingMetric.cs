namespace VisRL.Platform.Persistence.Entities;

/// <summary>One metric value of one optimizer step (loss, rewards/margins, lr, …).</summary>
public sealed class TrainingMetric
{
    public long Id { get; set; }
    public Guid TrainingJobId { get; set; }
    public int Step { get; set; }
    public required string Name { get; set; }
    public double Value { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
