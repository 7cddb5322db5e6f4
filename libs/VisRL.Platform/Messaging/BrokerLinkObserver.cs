using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Logging;
using VisRL.Platform.Logging;

namespace VisRL.Platform.Messaging;

/// <summary>
/// Says when a queue's consumer loses the broker and when it consumes again: MassTransit logs each failed
/// attempt to reconnect, but not which queues stopped, nor that the work goes on once the broker is back.
/// </summary>
internal sealed class BrokerLinkObserver(ILogger<BrokerLinkObserver> logger) : IReceiveEndpointObserver
{
    private readonly ConcurrentDictionary<Uri, bool> _lost = new();

    public Task Faulted(ReceiveEndpointFaulted faulted)
    {
        if (_lost.TryAdd(faulted.InputAddress, true))
            logger.LogWarning("{Queue}: lost the broker ({Reason}); its unacknowledged messages go back to the queue, and it consumes again once the broker is back",
                faulted.InputAddress.AbsolutePath.Trim('/'), BrokerAwayEnricher.Cause(faulted.Exception) ?? faulted.Exception?.Message ?? "no reason given");
        return Task.CompletedTask;
    }

    public Task Ready(ReceiveEndpointReady ready)
    {
        if (_lost.TryRemove(ready.InputAddress, out _))
            logger.LogInformation("{Queue}: consuming again", ready.InputAddress.AbsolutePath.Trim('/'));
        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;
}
