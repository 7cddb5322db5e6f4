using Microsoft.EntityFrameworkCore;

namespace VisRL.Platform.Persistence;

public static class DatabaseClock
{
    /// <summary>
    /// PostgreSQL's now() (the start of the current transaction). The batch stamps that different processes write and
    /// the Orchestrator compares (dispatched, started, completed) all come from this one clock, so a service host whose
    /// clock is off neither takes a running batch for a stuck one nor misses a stuck one.
    /// </summary>
    public static Task<DateTimeOffset> NowAsync(this VisRLDbContext db, CancellationToken cancellationToken) =>
        db.Database.SqlQueryRaw<DateTimeOffset>("SELECT now() AS \"Value\"").SingleAsync(cancellationToken);
}
