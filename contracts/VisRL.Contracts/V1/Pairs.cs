namespace VisRL.Contracts.V1;

/// <summary>Command to the Filter: build the round's preference pairs.</summary>
public sealed record BuildPairs(Guid RunId, Guid IterationId, FilterThresholds Thresholds) : IWorkMessage, ICommandMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}

/// <summary>Event: the round's pair set is stored.</summary>
public sealed record PairsReady(Guid RunId, Guid IterationId, Guid PairSetId, int ItemCount, int PairCount) : IWorkMessage
{
    Guid? IWorkMessage.IterationId => IterationId;
}
