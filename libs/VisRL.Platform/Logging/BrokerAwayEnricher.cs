using System.Text.RegularExpressions;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Serilog.Core;
using Serilog.Events;

namespace VisRL.Platform.Logging;

/// <summary>
/// Marks what MassTransit logs while the RabbitMQ broker is away with the cause in a few words, so the
/// console can say it in one line instead of the same stack each time (the JSON log keeps the exception):
/// each attempt to reach a broker that is away ("Connection refused"), and each send or received message
/// that a lost connection cut short ("broker connection lost: End of stream"; a received one goes back to
/// its queue), and a publish the client failed on its own confirm bookkeeping (below). Any other broker
/// error, such as a queue declared with other arguments, keeps its stack.
/// </summary>
public sealed partial class BrokerAwayEnricher : ILogEventEnricher
{
    public static bool IsBrokerAway(LogEvent e) => e.Properties.ContainsKey(BrokerAway);

    private const string BrokerAway = "BrokerAway";

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        if (Cause(logEvent.Exception) is { } cause) logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty(BrokerAway, cause));
    }

    /// <summary>The cause in a few words when the exception, or one inside it, is the broker's being away or the connection's loss; otherwise null.</summary>
    public static string? Cause(Exception? e) => e switch
    {
        null => null,
        BrokerUnreachableException => Root(e).Message,
        // The client closed it (Library) on a broken connection; a channel closed under it says so in its text.
        OperationInterruptedException { ShutdownReason: { } reason }
            when reason.Initiator == ShutdownInitiator.Library || reason.ReplyText.Contains("initiated by Library", StringComparison.Ordinal)
            => "broker connection lost: " + (InnermostText().Matches(reason.ReplyText) is { Count: > 0 } texts ? texts[^1].Groups[1].Value : reason.ReplyText),
        // RabbitMQ.Client 7.1.2 can lose count of a channel's publish confirms, seen here as a connection dropped
        // (rabbitmq-dotnet-client #1818, #1924); it fails that publish as a "BUG FOUND", and the publish is tried again.
        InvalidOperationException { InnerException: SemaphoreFullException } when e.Message.StartsWith("BUG FOUND", StringComparison.Ordinal)
            => "RabbitMQ.Client lost count of its publish confirms (rabbitmq-dotnet-client #1818); the publish is tried again",
        AggregateException a => a.InnerExceptions.Select(Cause).FirstOrDefault(c => c is not null),
        _ => Cause(e.InnerException),
    };

    private static Exception Root(Exception e) => e.InnerException is { } inner ? Root(inner) : e;

    // A close reason nests the one before it: "Channel is already closed: AMQP close-reason, …, text='End of stream', …".
    [GeneratedRegex("text='([^']*)'")]
    private static partial Regex InnermostText();
}
