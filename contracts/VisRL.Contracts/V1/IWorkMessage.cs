namespace VisRL.Contracts.V1;

/// <summary>
/// A message that belongs to one run and (optionally) one iteration. Consumers push these ids
/// into the log context, so every log line of the work names its run and iteration.
/// </summary>
public interface IWorkMessage
{
    Guid RunId { get; }
    Guid? IterationId { get; }
}

/// <summary>A message about one batch of items within an iteration.</summary>
public interface IBatchMessage : IWorkMessage
{
    Guid BatchId { get; }
}
