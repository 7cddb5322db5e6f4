using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client.Exceptions;
using Serilog.Extensions.Logging;
using VisRL.Platform.Configuration;
using VisRL.Platform.Logging;

namespace VisRL.Platform.Tests;

/// <summary>The services' console log: a broker that is away reads as one line per attempt, any other failure keeps its stack.</summary>
public class ConsoleLogTests
{
    [Fact]
    public void ABrokerThatIsAwayReadsAsOneLineNamingTheCause_AndOtherWarningsKeepTheirStack()
    {
        var console = new StringWriter();
        using (var factory = new SerilogLoggerFactory(LoggingExtensions.CreateLogger(new LoggingOptions(), "trainer", console), dispose: true))
        {
            var masstransit = factory.CreateLogger("MassTransit");
            masstransit.LogWarning(Thrown(new BrokerUnreachableException(new AggregateException(
                new ConnectFailureException("Connection failed, host 127.0.0.1:5672", new SocketException((int)SocketError.ConnectionRefused))))),
                "Connection Failed: {Host}", "rabbitmq://127.0.0.1:5672/");
            masstransit.LogWarning(Thrown(new InvalidOperationException("the consumer broke")), "R-FAULT {Queue}", "trainer-train-stage");
        }

        var lines = console.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("WRN] trainer MassTransit: Connection Failed: rabbitmq://127.0.0.1:5672/ (Connection refused)", lines[0].TrimEnd());
        Assert.EndsWith("WRN] trainer MassTransit: R-FAULT trainer-train-stage", lines[1].TrimEnd());
        Assert.StartsWith("System.InvalidOperationException: the consumer broke", lines[2]);
        Assert.Contains(lines[3..], l => l.TrimStart().StartsWith("at ")); // its stack
        Assert.DoesNotContain(lines, l => l.Contains("BrokerUnreachableException"));
    }

    private static Exception Thrown(Exception e)
    {
        try { throw e; }
        catch (Exception thrown) { return thrown; }
    }
}
