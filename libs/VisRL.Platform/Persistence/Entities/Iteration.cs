using MassTransit;

namespace VisRL.Platform.Persistence.Entities;

/// <summary>
/// One round (iteration) of a run, and the Orchestrator's state machine instance for it:
/// its current state survives any process restart.
/// </summary>
public sealed class Iteration : SagaStateMachineInstance
{
    public Guid Id { get; set; }

    /// <summary>MassTransit's name for <see cref="Id"/> (not a column).</summary>
    public Guid CorrelationId { get => Id; set => Id = value; }
    public Guid RunId { get; set; }
    public int Number { get; set; }
    /// <summary>Null when the round was rejected before its dataset was found.</summary>
    public Guid? DatasetId { get; set; }
    public string PolicyCheckpoint { get; set; } = "";
    public string JudgeCheckpoint { get; set; } = "";
    /// <summary>The id the round's scores are stored under: the judge checkpoint's hash, or the judge endpoint's id (<see cref="VisRL.Contracts.V1.JudgeIds"/>).</summary>
    public string JudgeId { get; set; } = "";
    public string ConfigJson { get; set; } = "{}";
    /// <summary>The state machine's current state (e.g. Sampling, Scoring, Filtering, Completed).</summary>
    public string State { get; set; } = "Initial";
    public int ItemCount { get; set; }
    /// <summary>The pair set the DPO stages train on (set when the pairs are built).</summary>
    public Guid? PairSetId { get; set; }
    /// <summary>The policy after DPO stage 1 (SFT+RL1 for the first iteration).</summary>
    public string? BoxCheckpoint { get; set; }
    /// <summary>The policy after DPO stage 2: the next iteration samples from it.</summary>
    public string? OutputCheckpoint { get; set; }
    public int BatchCount { get; set; }
    public string? FailureReason { get; set; }
    /// <summary>How often the iteration was resumed after it failed (ResumeIteration, `visrl run retry`).</summary>
    public int Resumes { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>Optimistic concurrency: two replicas never both advance the same round.</summary>
    public uint Version { get; set; }
}
