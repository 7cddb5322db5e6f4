using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;

namespace VisRL.Platform.Messaging.Sagas;

/// <summary>
/// Keeps MassTransit saga instances in the project's own PostgreSQL tables (the EF Core saga
/// package cannot be had here). Each message runs in one transaction that locks the instance's
/// row (SELECT … FOR UPDATE), so replicas of a service never advance the same instance at once,
/// and the state survives any restart. Publish from sagas through the in-memory outbox, so that
/// nothing leaves before the transaction commits; a commit whose reply was lost is asked about
/// (<see cref="CommitOutcome"/>), so that what a made commit sends leaves too.
/// </summary>
public sealed class PostgresSagaRepositoryContextFactory<TSaga>(DatabaseOptions database)
    : ISagaRepositoryContextFactory<TSaga>, IQuerySagaRepositoryContextFactory<TSaga>, ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
{
    // EF's retries are off here: EF would replay a failed transaction in place, under the same outbox, which
    // would then publish the failed try's commands too. A failure goes to MassTransit's retry instead, which
    // replays the whole message with a fresh outbox (and waits out an outage of the database).
    private readonly DatabaseOptions _withoutRetries = new() { ConnectionString = database.ConnectionString, MaxRetryCount = 0 };

    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next) where T : class
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_withoutRetries);
        await using var transaction = await db.Database.BeginTransactionAsync(context.CancellationToken);
        var transactionId = await CommitOutcome.TransactionIdAsync(db, context.CancellationToken);
        await next.Send(new PostgresSagaRepositoryContext<TSaga, T>(db, context));
        try
        {
            await transaction.CommitAsync(context.CancellationToken);
        }
        catch (Exception e) when (Outages.Reason(e) is not null)
        {
            // The commit's reply was lost. If the database made it, the outbox must send this message's commands now:
            // tried again, the message would meet the state it already moved to and be ignored, and its commands with it.
            if (!await CommitOutcome.CommittedAsync(_withoutRetries, transactionId, CommitPatience, context.CancellationToken)) throw;
        }
    }

    private static readonly TimeSpan CommitPatience = TimeSpan.FromMinutes(2);

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        throw new NotSupportedException($"{typeof(TSaga).Name} sagas correlate by id only; query correlation is not supported.");

    public async Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_withoutRetries);
        return await asyncMethod(new PostgresLoadSagaContext<TSaga>(db, cancellationToken));
    }

    public Task<T> Execute<T>(Func<QuerySagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class =>
        throw new NotSupportedException($"{typeof(TSaga).Name} sagas correlate by id only; query correlation is not supported.");

    public void Probe(ProbeContext context) => context.Add("persistence", "postgresql");
}
