using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace VisRL.Platform.Persistence;

/// <summary>
/// Inserts the rows of a unique key that are not stored yet, for work that may run twice: a message
/// delivered again, two replicas on one batch, or a save whose commit a lost connection hid although
/// the database made it (EF's retry of that save then meets its own rows). Rows that appear between
/// the check and the save are read again, and only those still missing are written.
/// </summary>
public static class MissingRows
{
    /// <param name="missing">Reads which rows are missing and builds them; called once more after a collision.</param>
    /// <param name="uniqueIndex">The unique index that keeps the rows once each.</param>
    /// <returns>The number of rows inserted.</returns>
    public static async Task<int> InsertMissingAsync<T>(this VisRLDbContext db, Func<CancellationToken, Task<List<T>>> missing,
        string uniqueIndex, CancellationToken cancellationToken) where T : class
    {
        for (var attempt = 1; ; attempt++)
        {
            var rows = await missing(cancellationToken);
            if (rows.Count == 0) return 0;
            db.AddRange(rows);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return rows.Count;
            }
            catch (DbUpdateException e) when (attempt == 1 && e.InnerException is PostgresException
                { SqlState: PostgresErrorCodes.UniqueViolation } collision && collision.ConstraintName == uniqueIndex)
            {
                foreach (var row in rows) db.Entry(row).State = EntityState.Detached;
            }
        }
    }
}
