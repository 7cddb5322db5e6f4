using Serilog.Core;
using Serilog.Events;

namespace VisRL.Platform.Logging;

/// <summary>
/// Marks the warning MassTransit logs at each attempt to reach a RabbitMQ broker that is away, with the
/// root cause ("Connection refused") as BrokerAway, so the console can say it in one line instead of
/// the same stack each time. (The JSON log keeps the exception.)
/// </summary>
public sealed class BrokerAwayEnricher : ILogEventEnricher
{
    public static bool IsBrokerAway(LogEvent e) => e.Properties.ContainsKey(BrokerAway);

    private const string BrokerAway = "BrokerAway";

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        // Matched by name: the RabbitMQ client is MassTransit's dependency, not this library's.
        if (logEvent.Exception?.GetType().Name != "BrokerUnreachableException") return;
        var root = logEvent.Exception;
        while (root.InnerException is { } inner) root = inner;
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty(BrokerAway, root.Message));
    }
}
