using System.ComponentModel.DataAnnotations;

namespace VisRL.Platform.Configuration;

public enum MessagingTransport { RabbitMq, InMemory }

/// <summary>Broker connection and consumer policy.</summary>
[Settings("Messaging")]
public sealed class MessagingOptions
{
    /// <summary>RabbitMQ for every real process; InMemory only for unit tests.</summary>
    public MessagingTransport Transport { get; set; } = MessagingTransport.RabbitMq;

    [Required] public string Host { get; set; } = "127.0.0.1";
    [Range(1, 65535)] public int Port { get; set; } = 5672;
    [Range(1, 65535)] public int ManagementPort { get; set; } = 15672;
    [Required] public string VirtualHost { get; set; } = "/";
    [Required] public string Username { get; set; } = "guest";
    [Required] public string Password { get; set; } = "guest";

    /// <summary>Messages a replica holds unacknowledged; keep small for long-running work.</summary>
    [Range(1, 10_000)] public int PrefetchCount { get; set; } = 16;

    /// <summary>Messages a replica handles at once; 1 for model work that owns the CPU.</summary>
    [Range(1, 1_000)] public int ConcurrentMessageLimit { get; set; } = 4;

    /// <summary>In-process retries of a failed consume before the message goes to its _error queue.</summary>
    [Range(0, 20)] public int RetryLimit { get; set; } = 3;
    [Range(1, 600_000)] public int RetryInitialIntervalMs { get; set; } = 200;
    [Range(1, 600_000)] public int RetryMaxIntervalMs { get; set; } = 5_000;

    /// <summary>
    /// How long a consume waits for PostgreSQL or blob storage to come back (trying again after each
    /// pause) before it gives up; a training job goes on from its last checkpoint when they are back.
    /// </summary>
    [Range(0, 86_400)] public int OutagePatienceSeconds { get; set; } = 600;

    /// <summary>
    /// Seconds between heartbeats on the broker connection. A connection that goes silent (a network
    /// partition or a frozen host: no reset, no close) is taken for dead after about two missed beats, so
    /// its unacknowledged messages go back to their queues for other replicas; the broker's own 60 s
    /// would leave a round waiting minutes for them.
    /// </summary>
    [Range(1, 600)] public int HeartbeatSeconds { get; set; } = 10;

    /// <summary>
    /// How long a consume may go on after the broker channel its message came on has closed before the service
    /// stops waiting for it, so that the queue's consumer starts again (the broker delivers the message again).
    /// </summary>
    [Range(1, 86_400)] public int LinkLossGraceSeconds { get; set; } = 10;

    /// <summary>
    /// How often a service asks its own ping queue whether it still hears the broker; two answers lost in a row
    /// while every queue reads as ready and the broker takes connections restart its bus (<see cref="Messaging.BusWatchdog"/>).
    /// 0 turns the check off.
    /// </summary>
    [Range(0, 3_600)] public int SelfCheckSeconds { get; set; } = 30;

    /// <summary>How long a starting service waits for the broker before it gives up.</summary>
    [Range(1, 600)] public int StartupTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// How often a saga's service sends what its outbox still holds, and how long after its commit a row counts as left
    /// behind (the send right after the commit clears it): a message a broker outage kept back leaves at most about twice this late.
    /// </summary>
    [Range(1, 3_600)] public int OutboxRelaySeconds { get; set; } = 5;
}
