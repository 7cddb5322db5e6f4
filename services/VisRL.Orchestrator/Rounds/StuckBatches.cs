namespace VisRL.Orchestrator.Rounds;

/// <summary>
/// When a dispatched batch counts as stuck. A round publishes all its batches at once, so most of them
/// wait in the queue behind the others, for as long as the replicas need: that is not stuck. A batch
/// is stuck when a worker began it (batches.started_at) longer ago than the round allows (the worker
/// hangs, or its answer was lost), or when it was never begun and its stage's queue has not moved
/// (no batch of the stage started or finished) for that long: its message was lost, or no worker runs.
/// </summary>
public static class StuckBatches
{
    /// <param name="startedAt">When a worker began the batch's current attempt; null while it waits.</param>
    /// <param name="cutoff">Now minus the round's stuckAfterSeconds.</param>
    /// <param name="queueMovedSinceCutoff">Some batch of the same stage started or finished after <paramref name="cutoff"/>.</param>
    public static bool IsStuck(DateTimeOffset? startedAt, DateTimeOffset cutoff, bool queueMovedSinceCutoff) =>
        startedAt is { } started ? started < cutoff : !queueMovedSinceCutoff;
}
