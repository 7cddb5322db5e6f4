namespace VisRL.Platform.Persistence.Entities;

/// <summary>
/// A message a saga transition committed that has not reached the broker yet: written in the transition's
/// transaction, deleted once published (<see cref="Messaging.Sagas.SagaOutbox"/>).
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }
    /// <summary>The saga instance (an iteration) whose transition sends it.</summary>
    public Guid SagaId { get; set; }
    /// <summary>Its contract type, as "full name, assembly" (VisRL.Contracts.V1.BuildPairs, VisRL.Contracts).</summary>
    public required string MessageType { get; set; }
    public required string BodyJson { get; set; }
    /// <summary>When its transaction began (the database's clock).</summary>
    public DateTimeOffset CreatedAt { get; set; }
}
