namespace VisRL.Platform.Persistence.Entities;

/// <summary>One training stage's job: its configuration, progress and outcome.</summary>
public sealed class TrainingJob
{
    public Guid Id { get; set; }
    public Guid? RunId { get; set; }
    public Guid? IterationId { get; set; }
    public required string Stage { get; set; }
    public string? StartCheckpoint { get; set; }
    public Guid? PairSetId { get; set; }
    /// <summary>A DPO job's pairs (pairs.id) in training order, fixed at its first start, so a resumed job trains on the same ones.</summary>
    public long[]? PairIds { get; set; }
    public string ConfigJson { get; set; } = "{}";
    /// <summary>Where the job last ran (CPU, vector kernels, libtorch threads, device): the last digits of its numbers depend on it.</summary>
    public string MachineJson { get; set; } = "{}";
    public required string Status { get; set; }
    public int PlannedSteps { get; set; }
    public int CompletedSteps { get; set; }
    public string? FailureReason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
