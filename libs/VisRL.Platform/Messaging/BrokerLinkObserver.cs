using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Logging;
using VisRL.Platform.Logging;

namespace VisRL.Platform.Messaging;

/// <summary>
/// Says when a queue's consumer loses the broker and when it consumes again: MassTransit logs each failed
/// attempt to reconnect, but not which queues stopped, nor that the work goes on once the broker is back.
/// </summary>
/// <remarks>
/// A refused or reset connection faults the endpoint. A connection that goes silent (a network partition) does
/// not: the client's missed-heartbeat check ends it as a plain end of stream, and the endpoint just completes,
/// while the reconnect that follows may hang until the link heals. So an endpoint that completes without
/// having been asked to stop has lost the broker too.
/// </remarks>
internal sealed class BrokerLinkObserver(ILogger<BrokerLinkObserver> logger) : IReceiveEndpointObserver
{
    private const string SilentEnd = "its connection ended: the broker's heartbeats stopped, or the link closed";
    private readonly ConcurrentDictionary<Uri, bool> _lost = new();
    private readonly ConcurrentDictionary<Uri, bool> _stopping = new();

    public Task Faulted(ReceiveEndpointFaulted faulted)
    {
        Lost(faulted.InputAddress, BrokerAwayEnricher.Cause(faulted.Exception) ?? faulted.Exception?.Message ?? "no reason given");
        return Task.CompletedTask;
    }

    public Task Completed(ReceiveEndpointCompleted completed)
    {
        if (!_stopping.ContainsKey(completed.InputAddress)) Lost(completed.InputAddress, SilentEnd);
        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping)
    {
        _stopping[stopping.InputAddress] = true;
        return Task.CompletedTask;
    }

    public Task Ready(ReceiveEndpointReady ready)
    {
        _stopping.TryRemove(ready.InputAddress, out _);
        if (_lost.TryRemove(ready.InputAddress, out _))
            logger.LogInformation("{Queue}: consuming again", Queue(ready.InputAddress));
        return Task.CompletedTask;
    }

    private void Lost(Uri inputAddress, string reason)
    {
        if (_lost.TryAdd(inputAddress, true))
            logger.LogWarning("{Queue}: lost the broker ({Reason}); its unacknowledged messages go back to the queue, and it consumes again once the broker is back",
                Queue(inputAddress), reason);
    }

    private static string Queue(Uri inputAddress) => inputAddress.AbsolutePath.Trim('/');
}
