using MassTransit;
using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Persistence;

namespace VisRL.Platform.Messaging.Sagas;

internal static class PostgresSagaRows
{
    /// <summary>The instance's row, locked until the transaction ends; null when there is none.</summary>
    public static async Task<TSaga?> LockAsync<TSaga>(VisRLDbContext db, Guid correlationId, CancellationToken cancellationToken)
        where TSaga : class, ISaga
    {
        var entity = db.Model.FindEntityType(typeof(TSaga))
            ?? throw new InvalidOperationException($"{typeof(TSaga).Name} is not an entity of {nameof(VisRLDbContext)}.");
        var key = entity.FindPrimaryKey()!.Properties.Single().GetColumnName();
        // xmin (a row-version property) is a system column, which * leaves out.
        var systemColumns = entity.GetProperties().Any(p => p.GetColumnName() == "xmin") ? ", t.xmin" : "";
        // Table and key names come from the EF model, not from input; the id is a parameter.
#pragma warning disable EF1002
        var rows = await db.Set<TSaga>()
            .FromSqlRaw($"SELECT t.*{systemColumns} FROM \"{entity.GetTableName()}\" t WHERE t.\"{key}\" = {{0}} FOR UPDATE", correlationId)
            .ToListAsync(cancellationToken);
#pragma warning restore EF1002
        return rows.SingleOrDefault();
    }
}
