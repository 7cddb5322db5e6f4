namespace VisRL.Contracts.V1;

/// <summary>Command: start a run of <paramref name="Iterations"/> self-evolution rounds.</summary>
public sealed record StartRun(
    Guid RunId,
    string Name,
    string Dataset,
    string PolicyCheckpoint,
    string JudgeCheckpoint,
    int Iterations,
    int? ItemLimit,
    string ConfigJson) : IWorkMessage, ICommandMessage
{
    Guid? IWorkMessage.IterationId => null;
}

/// <summary>
/// Command: start one iteration (round) sampling from <paramref name="PolicyCheckpoint"/>. Either
/// checkpoint may be named by content hash, unique hash prefix (8+ characters) or checkpoint id; the
/// Orchestrator pins both to their content hashes (ignored where the round config's endpoint is http).
/// </summary>
public sealed record StartIteration(
    Guid RunId,
    Guid IterationId,
    int Number,
    string Dataset,
    string PolicyCheckpoint,
    string JudgeCheckpoint,
    int? ItemLimit,
    string ConfigJson) : IWorkMessage, ICommandMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}

/// <summary>
/// Command: take a failed iteration up again where it stopped (`visrl run retry`): its failed batches
/// get fresh attempts, or the stage that failed (filter, DPO stage 1 or 2, evaluation) is sent again,
/// and what the iteration already has (batches done, pairs, checkpoints, stored evaluations) is kept.
/// An iteration that is not failed, or was rejected before it sampled anything, is left as it is.
/// <paramref name="ConfigChanges"/>: a JSON object merged over the iteration's config (RFC 7386: null resets a setting
/// to its default), for the settings the iteration has not used yet (e.g. the filter's thresholds after it kept no pairs);
/// a change to one it has used refuses the request, and nothing changes. Each request is recorded under
/// <paramref name="RequestId"/> (iteration_resume_requests), where the sender reads whether it was applied or why not.
/// </summary>
public sealed record ResumeIteration(Guid RunId, Guid IterationId, string? ConfigChanges = null, Guid? RequestId = null) : IWorkMessage, ICommandMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}

/// <summary>Event: the Orchestrator recorded the round and fanned out its batches.</summary>
public sealed record IterationStarted(Guid RunId, Guid IterationId, int Number, int ItemCount, int BatchCount) : IWorkMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}

/// <summary>Event: periodic progress of a stage (sample, score, filter, train, evaluate).</summary>
public sealed record IterationProgress(Guid RunId, Guid IterationId, string Stage, int Done, int Total) : IWorkMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}

/// <summary>Event: the round ended; <paramref name="PolicyCheckpoint"/> samples the next one.</summary>
public sealed record IterationCompleted(Guid RunId, Guid IterationId, int Number, string PolicyCheckpoint) : IWorkMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}

/// <summary>Event: the round stopped at <paramref name="Stage"/> for <paramref name="Reason"/>.</summary>
public sealed record IterationFailed(Guid RunId, Guid IterationId, int Number, string Stage, string Reason) : IWorkMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}

/// <summary>Event: every planned iteration of the run completed; <paramref name="PolicyCheckpoint"/> is the final policy.</summary>
public sealed record RunCompleted(Guid RunId, int Iterations, string PolicyCheckpoint) : IWorkMessage
{
    Guid? IWorkMessage.IterationId => null;
}
