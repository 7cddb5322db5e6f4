namespace VisRL.Platform.Persistence.Entities;

/// <summary>
/// One round (iteration) of a run, and the Orchestrator's state machine instance for it:
/// its current state survives any process restart.
/// </summary>
public sealed class Iteration
{
    public Guid Id { get; set; }
    public Guid RunId { get; set; }
    public int Number { get; set; }
    public Guid DatasetId { get; set; }
    public required string PolicyCheckpoint { get; set; }
    public required string JudgeCheckpoint { get; set; }
    public string ConfigJson { get; set; } = "{}";
    /// <summary>The state machine's current state (e.g. Sampling, Scoring, Filtering, Completed).</summary>
    public required string State { get; set; }
    public int ItemCount { get; set; }
    public int BatchCount { get; set; }
    public string? FailureReason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>Optimistic concurrency: two replicas never both advance the same round.</summary>
    public uint Version { get; set; }
}
