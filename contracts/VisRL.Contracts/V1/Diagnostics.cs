namespace VisRL.Contracts.V1;

/// <summary>Request: every service replica answers with <see cref="Pong"/> (smoke tests, doctor).</summary>
public sealed record Ping(Guid PingId, DateTimeOffset SentAt);

/// <summary>Response to <see cref="Ping"/>: which replica answered.</summary>
public sealed record Pong(Guid PingId, string Service, string Machine, int ProcessId, DateTimeOffset RepliedAt);

/// <summary>
/// Event: a message that `visrl errors retry` moved back from its _error queue (its move-back stamp, <paramref name="MovedBackAt"/>)
/// was consumed to the end in <paramref name="Queue"/> by a replica of <paramref name="Service"/>. A part of it the consumer
/// quarantined again is in the queue's _error queue, cut from <paramref name="MessageId"/>; a message that failed past its
/// retries reports nothing, for it is back there itself.
/// </summary>
public sealed record MovedBackHandled(Guid MessageId, string MovedBackAt, string Queue, string Service, DateTimeOffset HandledAt);
