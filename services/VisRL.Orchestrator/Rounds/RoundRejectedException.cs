namespace VisRL.Orchestrator.Rounds;

/// <summary>
/// A round that cannot go on (unknown dataset, no items, every batch of a stage failed); the iteration fails with
/// this reason, in <paramref name="stage"/> (IterationFailed.Stage).
/// </summary>
public sealed class RoundRejectedException(string reason, string stage = BatchStages.Sample) : Exception(reason)
{
    public string Stage { get; } = stage;
}
