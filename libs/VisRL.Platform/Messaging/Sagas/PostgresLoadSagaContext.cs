using MassTransit;
using MassTransit.Middleware;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Persistence;

namespace VisRL.Platform.Messaging.Sagas;

/// <summary>Reads one saga instance by id, outside any message (MassTransit's ILoadSagaRepository).</summary>
internal sealed class PostgresLoadSagaContext<TSaga>(VisRLDbContext db, CancellationToken cancellationToken)
    : BasePipeContext(cancellationToken), LoadSagaRepositoryContext<TSaga>
    where TSaga : class, ISaga
{
    // MassTransit's interface says TSaga, but returns null for an unknown id.
    public async Task<TSaga> Load(Guid correlationId) =>
        (await db.Set<TSaga>().AsNoTracking().SingleOrDefaultAsync(s => s.CorrelationId == correlationId, CancellationToken))!;
}
