namespace VisRL.Contracts.V1;

/// <summary>Request: every service replica answers with <see cref="Pong"/> (smoke tests, doctor).</summary>
public sealed record Ping(Guid PingId, DateTimeOffset SentAt);

/// <summary>Response to <see cref="Ping"/>: which replica answered.</summary>
public sealed record Pong(Guid PingId, string Service, string Machine, int ProcessId, DateTimeOffset RepliedAt);
