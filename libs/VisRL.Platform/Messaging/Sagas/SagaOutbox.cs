using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;
using Microsoft.EntityFrameworkCore;
using VisRL.Contracts.V1;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Platform.Messaging.Sagas;

/// <summary>
/// The messages one saga transition sends. Each is written to outbox_messages in the transition's own
/// transaction, so it leaves if and only if the transition commits; it is published right after the commit and
/// its row deleted. A row the publish did not clear (the broker dropped under it, the process died) is sent
/// again by <see cref="OutboxRelay"/>: what a saga committed is never lost, though it may leave twice, which
/// every consumer here takes as the redelivery it would be anyway.
/// </summary>
public sealed class SagaOutbox(VisRLDbContext db)
{
    private readonly List<(OutboxMessage Row, object Message)> _pending = [];

    public void Add(Guid sagaId, object message)
    {
        var row = Row(sagaId, message);
        db.OutboxMessages.Add(row);
        _pending.Add((row, message));
    }

    /// <summary>
    /// After the commit: publishes this transition's messages in order, then deletes their rows. A command no queue
    /// takes yet (<see cref="ICommandMessage"/>) keeps its row, for the relay to send once its service has run.
    /// </summary>
    public async Task PublishAsync(IPublishEndpoint endpoint, CancellationToken cancellationToken)
    {
        if (_pending.Count == 0) return;
        var published = new List<long>();
        foreach (var (row, message) in _pending)
        {
            try
            {
                await endpoint.Publish(message, message.GetType(), cancellationToken);
                published.Add(row.Id);
            }
            catch (MessageReturnedException)
            {
                // No queue takes this command yet: its row stays, and the relay sends it once one does.
            }
        }
        if (published.Count == 0) return;
        var ids = published.ToArray();
        try
        {
            // Without waiting for the disk: a delete lost in a crash only makes the relay send the messages again,
            // and the wait would double the fsyncs on the saga's path (one per transition already, its commit).
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("SET LOCAL synchronous_commit = off", cancellationToken);
            await db.OutboxMessages.Where(m => ids.Contains(m.Id)).ExecuteDeleteAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception e) when (Outages.Reason(e) is not null)
        {
            // The messages are out; rows left behind only make the relay send them a second time.
        }
    }

    /// <summary>The row that holds <paramref name="message"/>, in the bus's own JSON.</summary>
    public static OutboxMessage Row(Guid sagaId, object message)
    {
        var type = message.GetType();
        return new OutboxMessage { SagaId = sagaId, MessageType = $"{type.FullName}, {type.Assembly.GetName().Name}",
            BodyJson = JsonSerializer.Serialize(message, type, SystemTextJsonMessageSerializer.Options) };
    }

    /// <summary>The message a row holds; throws, naming the row and the reason, when it cannot be read back.</summary>
    public static (object Message, Type Type) Read(OutboxMessage row)
    {
        var type = Type.GetType(row.MessageType)
            ?? throw new InvalidOperationException($"outbox_messages row {row.Id}: unknown message type '{row.MessageType}'");
        try
        {
            return (JsonSerializer.Deserialize(row.BodyJson, type, SystemTextJsonMessageSerializer.Options)
                ?? throw new JsonException("the body is null"), type);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"outbox_messages row {row.Id}: its body is not a {type.Name}: {e.Message}", e);
        }
    }
}

public static class SagaOutboxExtensions
{
    /// <summary>
    /// Publishes <paramref name="message"/> once this transition has committed, and only if it does (the saga's
    /// outbox in PostgreSQL: a broker that drops after the commit delays the message, it does not lose it).
    /// </summary>
    public static void PublishOnCommit<TSaga>(this SagaConsumeContext<TSaga> context, object message) where TSaga : class, ISaga =>
        context.GetPayload<SagaOutbox>().Add(context.Saga.CorrelationId, message);
}
