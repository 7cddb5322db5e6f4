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

/// <summary>
/// A command: work one service must take up. Published mandatory, so that a command no queue takes (its service has
/// never run on this broker, so its queue does not exist) comes back to its sender instead of vanishing: a saga's
/// outbox keeps it until the queue is there, and the CLI names the service to start.
/// </summary>
public interface ICommandMessage
{
}
