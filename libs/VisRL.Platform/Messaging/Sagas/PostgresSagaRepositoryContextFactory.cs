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
/// and the state survives any restart. A transition sends its messages with PublishOnCommit: they are
/// written in its transaction (<see cref="SagaOutbox"/>) and published once it has committed, so that
/// nothing leaves for a transition that was not made and nothing is lost for one that was.
/// </summary>
public sealed class PostgresSagaRepositoryContextFactory<TSaga>(DatabaseOptions database)
    : ISagaRepositoryContextFactory<TSaga>, IQuerySagaRepositoryContextFactory<TSaga>, ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
{
    // EF's retries are off here: EF would replay a failed transaction in place, under the same outbox, which
    // would then publish the failed try's messages too. A failure goes to MassTransit's retry instead, which
    // replays the whole message with a fresh outbox (and waits out an outage of the database).
    private readonly DatabaseOptions _withoutRetries = database.WithoutRetries();

    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next) where T : class
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_withoutRetries);
        var outbox = new SagaOutbox(db);
        await using (var transaction = await db.Database.BeginTransactionAsync(context.CancellationToken))
        {
            await next.Send(new PostgresSagaRepositoryContext<TSaga, T>(db, outbox, context));
            await db.SaveChangesAsync(context.CancellationToken); // messages added after the saga's own save, if any
            // A commit whose reply is lost throws: tried again, the message meets the state it may have moved to
            // already and changes nothing, and if the commit was made, its messages leave from the outbox table.
            await transaction.CommitAsync(context.CancellationToken);
        }
        await outbox.PublishAsync(context, context.CancellationToken);
    }

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
