using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Configuration;
using VisRL.Platform.Messaging;

namespace VisRL.Platform.Persistence;

/// <summary>
/// Whether a transaction whose COMMIT got no reply was made. A connection lost at the commit leaves
/// the client unable to tell, and work that sends messages after its commit must know: sending them
/// for a transaction that was not made, or dropping them for one that was, both lose a step. PostgreSQL
/// remembers the outcome of recent transactions by id (txid_status), so the client asks on a new connection.
/// </summary>
public static class CommitOutcome
{
    /// <summary>The id of the transaction open on <paramref name="db"/> (assigned now if it has none yet).</summary>
    public static async Task<long> TransactionIdAsync(VisRLDbContext db, CancellationToken cancellationToken) =>
        await db.Database.SqlQuery<long>($"SELECT txid_current() AS \"Value\"").SingleAsync(cancellationToken);

    /// <summary>
    /// True when the transaction was committed, false when it was not (aborted, or its outcome still
    /// unknown after <paramref name="patience"/> of asking a database that does not answer).
    /// </summary>
    public static async Task<bool> CommittedAsync(DatabaseOptions database, long transactionId, TimeSpan patience, CancellationToken cancellationToken)
    {
        using var pauses = Outages.Pauses(patience).GetEnumerator();
        while (true)
        {
            try
            {
                await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
                var status = await db.Database.SqlQuery<string?>($"SELECT txid_status({transactionId}) AS \"Value\"").SingleAsync(cancellationToken);
                if (status != "in progress") return status == "committed"; // the server may still be finishing the commit
            }
            catch (Exception e) when (e is not OperationCanceledException && Outages.Reason(e) is not null) { }
            if (!pauses.MoveNext()) return false;
            await Task.Delay(pauses.Current, cancellationToken);
        }
    }
}
