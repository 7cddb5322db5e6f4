using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using VisRL.Contracts.V1;
using VisRL.Platform.Configuration;

namespace VisRL.Platform.Messaging;

/// <summary>An _error queue's depth, and whether anything consumes the queue its messages would go back to.</summary>
public sealed record ErrorQueueDepth(string Queue, uint Messages, string Source, uint SourceConsumers);

/// <summary>Messages moved from a parking queue back to the queue they failed on, and how many consumers that queue had.</summary>
public sealed record MoveBack(string From, string To, IReadOnlyList<MovedMessage> Moved, uint Consumers);

/// <summary>
/// The broker side of <c>visrl errors</c>: lists the _error queues, reads their messages without taking them,
/// moves them back to the queue they failed on, or drops them. A move publishes with a confirm before it acknowledges,
/// so a message is never in neither queue (at worst, in both after a crash between the two; the consumers are idempotent).
/// </summary>
public sealed class ErrorQueueBroker(MessagingOptions messaging)
{
    private string Broker => $"the broker at {messaging.Host}:{messaging.Port}{messaging.VirtualHost}";

    /// <summary>Every _error queue of the virtual host: names from the management API, exact counts from the broker itself.</summary>
    public async Task<List<ErrorQueueDepth>> ListAsync(CancellationToken cancellationToken)
    {
        var names = (await BrokerQueues.NamesAsync(messaging, cancellationToken)).Where(ErrorQueue.IsErrorQueue).ToList();
        await using var connection = await ConnectAsync(cancellationToken);
        var depths = new List<ErrorQueueDepth>();
        foreach (var name in names)
        {
            var (error, source) = ErrorQueue.Names(name);
            if (await CountAsync(connection, error, cancellationToken) is not { } parked) continue; // deleted since the listing
            depths.Add(new ErrorQueueDepth(error, parked.Messages, source, (await CountAsync(connection, source, cancellationToken))?.Consumers ?? 0));
        }
        return depths;
    }

    /// <summary>Up to <paramref name="limit"/> messages from the head of <paramref name="queue"/>'s _error queue, left where they are.</summary>
    public async Task<List<FailedMessage>> PeekAsync(string queue, int limit, CancellationToken cancellationToken)
    {
        var (error, _) = ErrorQueue.Names(queue);
        await using var connection = await ConnectAsync(cancellationToken);
        await RequireAsync(connection, error, cancellationToken);
        return await PeekAsync(connection, error, limit, cancellationToken);
    }

    /// <summary>Up to <paramref name="limit"/> messages from the head of <paramref name="queue"/>, which exists, left where they are.</summary>
    private static async Task<List<FailedMessage>> PeekAsync(IConnection connection, string queue, int limit, CancellationToken cancellationToken)
    {
        var found = new List<FailedMessage>();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        ulong last = 0;
        while (found.Count < limit && await channel.BasicGetAsync(queue, autoAck: false, cancellationToken) is { } got)
        {
            found.Add(ErrorQueue.Describe(got.BasicProperties.MessageId, got.BasicProperties.Headers, got.Body.Span));
            last = got.DeliveryTag;
        }
        // Back at the head, in their order.
        if (last > 0) await channel.BasicNackAsync(last, multiple: true, requeue: true, cancellationToken);
        return found;
    }

    /// <summary>
    /// Moves up to <paramref name="limit"/> messages (all that are there now when null) from <paramref name="queue"/>'s
    /// _error queue back to it, oldest first, without their failure headers. Returns what moved, and how many
    /// consumers the queue has (none: they wait there until its service runs).
    /// </summary>
    public async Task<MoveBack> MoveBackAsync(string queue, int? limit, CancellationToken cancellationToken)
    {
        var (error, source) = ErrorQueue.Names(queue);
        await using var connection = await ConnectAsync(cancellationToken);
        // Counted before the first move: a message that fails again meanwhile is not moved a second time.
        var parked = (await RequireAsync(connection, error, cancellationToken)).Messages;
        var consumers = (await RequireAsync(connection, source, cancellationToken)).Consumers;
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        var moved = new List<MovedMessage>();
        while (moved.Count < Math.Min(limit ?? int.MaxValue, parked) && await channel.BasicGetAsync(error, autoAck: false, cancellationToken) is { } got)
        {
            var headers = ErrorQueue.HeadersForRetry(got.BasicProperties.Headers, DateTimeOffset.UtcNow);
            var properties = new BasicProperties(got.BasicProperties) { Headers = headers };
            try
            {
                await channel.BasicPublishAsync("", source, mandatory: true, properties, got.Body, cancellationToken);
            }
            catch (PublishException e)
            {
                // Not acknowledged: the message goes back to the error queue when the channel closes.
                throw new InvalidOperationException($"{source} did not take message {got.BasicProperties.MessageId ?? "?"} " +
                    $"({(e.IsReturn ? "returned unroutable" : "refused")}); it stays in {error}, and {moved.Count} moved before it", e);
            }
            await channel.BasicAckAsync(got.DeliveryTag, multiple: false, cancellationToken);
            var described = ErrorQueue.Describe(got.BasicProperties.MessageId, got.BasicProperties.Headers, got.Body.Span);
            moved.Add(new MovedMessage(got.BasicProperties.MessageId, (string)headers[ErrorQueue.MovedBackHeader]!, described.Type, described.Fields));
        }
        return new MoveBack(error, source, moved, consumers);
    }

    /// <summary>
    /// Starts taking the services' <see cref="MovedBackHandled"/> reports, in a queue of this listener's own. Started
    /// before a move, so that the report of a message handled at once is not missed.
    /// </summary>
    public async Task<MovedBackReports> ListenForReportsAsync(CancellationToken cancellationToken) =>
        await MovedBackReports.StartAsync(await ConnectAsync(cancellationToken), cancellationToken);

    /// <summary>
    /// Follows the messages of <paramref name="moveBack"/> until each is handled or parked again whole, or until
    /// <paramref name="wait"/> has passed; returns what became of each (<see cref="MoveBackOutcome"/>). Reads the queue
    /// they came from, and the source's _error queue when that was its _skipped queue.
    /// </summary>
    public async Task<List<MoveBackOutcome>> FollowAsync(MoveBack moveBack, MovedBackReports reports, TimeSpan wait, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + wait;
        string[] watched = [.. new[] { moveBack.From, ErrorQueue.Names(moveBack.To).Error }.Distinct()];
        await using var connection = await ConnectAsync(cancellationToken);
        while (true)
        {
            // Reports first, then the queues: a consumer parks a part before its report leaves, so a report seen here
            // has its parts in the queues read next.
            var handled = reports.Handled();
            var parked = new List<ParkedMessage>();
            foreach (var queue in watched)
                if (await CountAsync(connection, queue, cancellationToken) is not null) // a _skipped queue's _error queue may not exist yet
                    parked.AddRange((await PeekAsync(connection, queue, int.MaxValue, cancellationToken)).Select(m => new ParkedMessage(queue, m)));
            var outcomes = moveBack.Moved.Select(m => MoveBackOutcome.Of(m, handled.Contains((m.MessageId, m.MovedBackAt)), parked)).ToList();
            if (outcomes.All(o => o.Settled) || DateTime.UtcNow >= until) return outcomes;
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    /// <summary>Drops every message of <paramref name="queue"/>'s _error queue; returns how many. The queue it belongs to is not touched.</summary>
    public async Task<uint> PurgeAsync(string queue, CancellationToken cancellationToken)
    {
        var (error, _) = ErrorQueue.Names(queue);
        await using var connection = await ConnectAsync(cancellationToken);
        await RequireAsync(connection, error, cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        return await channel.QueuePurgeAsync(error, cancellationToken);
    }

    private Task<IConnection> ConnectAsync(CancellationToken cancellationToken) =>
        MessagingExtensions.BrokerConnectionFactory(messaging).CreateConnectionAsync("visrl errors", cancellationToken);

    private async Task<(uint Messages, uint Consumers)> RequireAsync(IConnection connection, string queue, CancellationToken cancellationToken) =>
        await CountAsync(connection, queue, cancellationToken) ?? throw new KeyNotFoundException($"there is no queue '{queue}' on {Broker}");

    /// <summary>A queue's ready messages and consumers; null when it does not exist (a passive declare closes its channel then, so each gets its own).</summary>
    private static async Task<(uint Messages, uint Consumers)?> CountAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            var ok = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
            return (ok.MessageCount, ok.ConsumerCount);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }
}
