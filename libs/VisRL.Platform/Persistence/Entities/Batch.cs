namespace VisRL.Platform.Persistence.Entities;

/// <summary>A slice of an iteration's items sent to a worker for one stage.</summary>
public sealed class Batch
{
    public Guid Id { get; set; }
    public Guid IterationId { get; set; }
    /// <summary>"sample" or "score".</summary>
    public required string Stage { get; set; }
    public int Ordinal { get; set; }
    public long[] ItemIds { get; set; } = [];
    /// <summary>"pending", "dispatched", "done", "failed".</summary>
    public required string Status { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? DispatchedAt { get; set; }
    /// <summary>When a worker began the current attempt; null while the batch waits in the queue.</summary>
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}
