namespace VisRL.Contracts.V1;

/// <summary>
/// Command to a Trainer: run <paramref name="Stage"/> from <paramref name="StartCheckpoint"/>
/// (a checkpoint content hash), on <paramref name="PairSetId"/> for the DPO stages.
/// </summary>
public sealed record TrainStage(
    Guid JobId,
    Guid RunId,
    Guid? IterationId,
    TrainingStage Stage,
    string StartCheckpoint,
    Guid? PairSetId,
    string ConfigJson) : IWorkMessage, ICommandMessage;

/// <summary>Event: periodic training progress.</summary>
public sealed record TrainingProgress(Guid JobId, Guid RunId, Guid? IterationId, TrainingStage Stage, int Step, int TotalSteps, double Loss) : IWorkMessage;

/// <summary>Event: a checkpoint (addressed by content hash) is in blob storage.</summary>
public sealed record CheckpointReady(
    Guid JobId,
    Guid RunId,
    Guid? IterationId,
    TrainingStage Stage,
    string ContentHash,
    string BlobKey,
    int Step) : IWorkMessage;

/// <summary>Event: a training job stopped for <paramref name="Reason"/>.</summary>
public sealed record TrainingFailed(Guid JobId, Guid RunId, Guid? IterationId, TrainingStage Stage, string Reason) : IWorkMessage;
