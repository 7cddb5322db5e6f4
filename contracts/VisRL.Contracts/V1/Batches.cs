namespace VisRL.Contracts.V1;

/// <summary>
/// Command to a Sampler replica: draw candidates for these items. <paramref name="Policy"/> (added
/// later; null in older messages = local) says whether <paramref name="PolicyCheckpoint"/> runs
/// in-process or an HTTP endpoint answers instead.
/// </summary>
public sealed record SampleBatch(
    Guid RunId,
    Guid IterationId,
    Guid BatchId,
    int Ordinal,
    int Attempt,
    IReadOnlyList<long> ItemIds,
    string PolicyCheckpoint,
    SamplingSettings Sampling,
    ModelEndpoint? Policy = null) : IBatchMessage, ICommandMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}

/// <summary>Event: a batch's candidates are stored.</summary>
public sealed record BatchSampled(Guid RunId, Guid IterationId, Guid BatchId, int CandidateCount, int FailedItemCount) : IBatchMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}

/// <summary>
/// Command to a Critic replica: score the candidates of these items with the judge.
/// <paramref name="Judge"/> (added later; null in older messages = local) picks the in-process
/// <paramref name="JudgeCheckpoint"/> or an HTTP endpoint.
/// </summary>
public sealed record ScoreBatch(
    Guid RunId,
    Guid IterationId,
    Guid BatchId,
    int Ordinal,
    int Attempt,
    IReadOnlyList<long> ItemIds,
    string JudgeCheckpoint,
    bool UseBoxCritic,
    ModelEndpoint? Judge = null) : IBatchMessage, ICommandMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}

/// <summary>Event: a batch's scores are stored.</summary>
public sealed record BatchScored(Guid RunId, Guid IterationId, Guid BatchId, int ScoreCount, int FailedItemCount) : IBatchMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}

/// <summary>Event: a batch could not be processed; <paramref name="Stage"/> is "sample" or "score".</summary>
public sealed record BatchFailed(Guid RunId, Guid IterationId, Guid BatchId, string Stage, int Attempt, string Reason) : IBatchMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}

/// <summary>Command to the Orchestrator (from its own monitor): dispatch again the batches of this round that got no answer in time.</summary>
public sealed record RedispatchStuckBatches(Guid RunId, Guid IterationId) : IWorkMessage, ICommandMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}
