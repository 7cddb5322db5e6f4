using MassTransit;
using MassTransit.Context;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using VisRL.Platform.Persistence;

namespace VisRL.Platform.Messaging.Sagas;

/// <summary>
/// One message's view of the saga table, inside the transaction the factory opened. The
/// <see cref="VisRLDbContext"/> and the <see cref="SagaOutbox"/> ride along as payloads
/// (context.GetPayload&lt;VisRLDbContext&gt;()), so a state machine's activities write their rows and the
/// messages they send in the same transaction as the state.
/// </summary>
internal sealed class PostgresSagaRepositoryContext<TSaga, TMessage>(VisRLDbContext db, SagaOutbox outbox, ConsumeContext<TMessage> message)
    : ConsumeContextScope<TMessage>(message, db, outbox), SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISaga
    where TMessage : class
{
    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance)
    {
        db.Set<TSaga>().Add(instance); // written by Save
        return CreateSagaConsumeContext(this, instance, SagaConsumeContextMode.Add);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>?> Insert(TSaga instance)
    {
        // A savepoint, so that losing the race to another replica leaves the transaction usable.
        await db.Database.CurrentTransaction!.CreateSavepointAsync("saga_insert", CancellationToken);
        try
        {
            db.Set<TSaga>().Add(instance);
            await db.SaveChangesAsync(CancellationToken);
            return await CreateSagaConsumeContext(this, instance, SagaConsumeContextMode.Insert);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            await db.Database.CurrentTransaction!.RollbackToSavepointAsync("saga_insert", CancellationToken);
            db.Entry(instance).State = EntityState.Detached;
            return null;
        }
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>?> Load(Guid correlationId)
    {
        var instance = await PostgresSagaRows.LockAsync<TSaga>(db, correlationId, CancellationToken);
        return instance is null ? null : await CreateSagaConsumeContext(this, instance, SagaConsumeContextMode.Load);
    }

    public Task Save(SagaConsumeContext<TSaga> context) => db.SaveChangesAsync(CancellationToken);

    public Task Update(SagaConsumeContext<TSaga> context) => db.SaveChangesAsync(CancellationToken);

    public Task Delete(SagaConsumeContext<TSaga> context)
    {
        db.Set<TSaga>().Remove(context.Saga);
        return db.SaveChangesAsync(CancellationToken);
    }

    public Task Discard(SagaConsumeContext<TSaga> context)
    {
        db.Entry(context.Saga).State = EntityState.Detached;
        return Task.CompletedTask;
    }

    public Task Undo(SagaConsumeContext<TSaga> context) => Discard(context);

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> consumeContext, TSaga instance,
        SagaConsumeContextMode mode) where T : class =>
        Task.FromResult<SagaConsumeContext<TSaga, T>>(new DefaultSagaConsumeContext<TSaga, T>(consumeContext, instance));
}
