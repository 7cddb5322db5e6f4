using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Serilog.Extensions.Logging;
using VisRL.Platform.Configuration;
using VisRL.Platform.Logging;

namespace VisRL.Platform.Tests;

/// <summary>The services' console log: a broker that is away reads as one line per attempt or cut-short message, any other failure keeps its stack.</summary>
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

    [Fact]
    public void AMessageALostConnectionCutShortReadsAsOneLine_AndABrokerErrorOfAnotherKindKeepsItsStack()
    {
        var console = new StringWriter();
        using (var factory = new SerilogLoggerFactory(LoggingExtensions.CreateLogger(new LoggingOptions(), "sampler", console), dispose: true))
        {
            var transport = factory.CreateLogger("MassTransit.ReceiveTransport");
            // As logged when the relay of RoundEndToEndTests cut the connection: a publish on it, and the message in flight.
            transport.LogError(Thrown(new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, 0, "End of stream"))),
                "S-FAULT {Address}", "rabbitmq://127.0.0.1:5672/VisRL.Contracts.V1:BatchSampled");
            transport.LogError(Thrown(new AggregateException("ReceiveLock.Faulted threw an exception",
                    new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, 491,
                        "Channel is already closed: AMQP close-reason, initiated by Library, code=0, text='End of stream', classId=0, methodId=0")),
                    new OperationCanceledException())),
                "T-FAULT {Address}", "rabbitmq://127.0.0.1:5672/sampler-sample-batch");
            transport.LogError(Thrown(new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, 406,
                "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'sampler-sample-batch'"))), "T-FAULT {Address}", "sampler-sample-batch");
        }

        var lines = console.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("ERR] sampler MassTransit.ReceiveTransport: S-FAULT rabbitmq://127.0.0.1:5672/VisRL.Contracts.V1:BatchSampled (broker connection lost: End of stream)",
            lines[0].TrimEnd());
        Assert.EndsWith("ERR] sampler MassTransit.ReceiveTransport: T-FAULT rabbitmq://127.0.0.1:5672/sampler-sample-batch (broker connection lost: End of stream)",
            lines[1].TrimEnd());
        Assert.EndsWith("ERR] sampler MassTransit.ReceiveTransport: T-FAULT sampler-sample-batch", lines[2].TrimEnd());
        Assert.Contains("PRECONDITION_FAILED", lines[3]);
        Assert.Contains(lines[4..], l => l.TrimStart().StartsWith("at ")); // its stack
    }

    [Fact]
    public void APublishTheClientFailedOnItsConfirmBookkeepingReadsAsOneLine_AndAnotherSemaphoreBugKeepsItsStack()
    {
        var console = new StringWriter();
        using (var factory = new SerilogLoggerFactory(LoggingExtensions.CreateLogger(new LoggingOptions(), "sampler", console), dispose: true))
        {
            var transport = factory.CreateLogger("MassTransit.ReceiveTransport");
            // As RabbitMQ.Client 7.1.2 threw it from a publish in RoundEndToEndTests' broker outage (rabbitmq-dotnet-client #1818).
            transport.LogError(Thrown(new InvalidOperationException("BUG FOUND - please report this exception (with stacktrace) here: https://github.com/rabbitmq/rabbitmq-dotnet-client/issues",
                new SemaphoreFullException())), "R-FAULT {Address}", "rabbitmq://127.0.0.1:5672/sampler-sample-batch");
            transport.LogError(Thrown(new InvalidOperationException("our own counting went wrong", new SemaphoreFullException())), "R-FAULT {Address}", "critic-score-batch");
        }

        var lines = console.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("ERR] sampler MassTransit.ReceiveTransport: R-FAULT rabbitmq://127.0.0.1:5672/sampler-sample-batch " +
            "(RabbitMQ.Client lost count of its publish confirms (rabbitmq-dotnet-client #1818); the publish is tried again)", lines[0].TrimEnd());
        Assert.EndsWith("ERR] sampler MassTransit.ReceiveTransport: R-FAULT critic-score-batch", lines[1].TrimEnd());
        Assert.StartsWith("System.InvalidOperationException: our own counting went wrong", lines[2]);
        Assert.Contains(lines[3..], l => l.TrimStart().StartsWith("at ")); // its stack
    }

    private static Exception Thrown(Exception e)
    {
        try { throw e; }
        catch (Exception thrown) { return thrown; }
    }
}
