using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Platform.Messaging.Sagas;

/// <summary>
/// Sends the saga outbox's leftovers: every <see cref="MessagingOptions.OutboxRelaySeconds"/>, the rows older than that,
/// which the publish right after their commit did not clear. Rows are taken FOR UPDATE SKIP LOCKED, so replicas share them. A row
/// that cannot be read back stays, reported once per process, naming it and the reason, and is passed over after; a
/// command no queue takes yet stays too, reported once, and goes out once its service has declared its queue.
/// </summary>
internal sealed class OutboxRelay(IOptions<DatabaseOptions> database, IOptions<MessagingOptions> messaging, IBus bus, ILogger<OutboxRelay> logger)
    : BackgroundService
{
    // The next round tries again anyway.
    private readonly DatabaseOptions _withoutRetries = database.Value.WithoutRetries();
    /// <summary>Between rounds; and older than this, a row's own publish is taken to have failed.</summary>
    private readonly TimeSpan _period = TimeSpan.FromSeconds(messaging.Value.OutboxRelaySeconds);
    private readonly HashSet<long> _reported = [];
    /// <summary>Rows whose command no queue takes yet (ICommandMessage), reported once; tried again each round.</summary>
    private readonly HashSet<long> _waiting = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_period);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RelayAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("outbox_messages: sending what is left failed ({Reason}); tries again in {Period} s", e.Message, _period.TotalSeconds);
            }
        }
    }

    public async Task RelayAsync(CancellationToken cancellationToken)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_withoutRetries);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var rows = await db.OutboxMessages
            .FromSql($"SELECT * FROM outbox_messages WHERE created_at < now() - {_period} AND NOT id = ANY({_reported.ToArray()}) ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED")
            .ToListAsync(cancellationToken);
        var sent = new List<OutboxMessage>();
        foreach (var row in rows)
        {
            (object Message, Type Type) message;
            try
            {
                message = SagaOutbox.Read(row);
            }
            catch (InvalidOperationException e)
            {
                if (_reported.Add(row.Id)) logger.LogError("{Reason}; it stays in the table until someone mends or deletes it", e.Message);
                continue;
            }
            try
            {
                await bus.Publish(message.Message, message.Type, cancellationToken).WaitAsync(Announcements.PublishPatience, cancellationToken);
                sent.Add(row);
            }
            catch (MessageReturnedException)
            {
                if (_waiting.Add(row.Id))
                    logger.LogWarning("outbox_messages row {Id}: no queue on the broker takes its {Type} yet (its service has never run here); sent once one does",
                        row.Id, message.Type.Name);
            }
        }
        if (sent.Count == 0) return;
        db.OutboxMessages.RemoveRange(sent);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogWarning("outbox_messages: sent {Count} message(s) that had not left after their commit: {Messages}", sent.Count,
            string.Join(", ", sent.Select(r => $"{r.MessageType.Split(',')[0].Split('.')[^1]} of {r.SagaId}")));
    }
}
