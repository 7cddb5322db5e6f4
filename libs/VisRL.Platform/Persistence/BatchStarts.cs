using Microsoft.EntityFrameworkCore;

namespace VisRL.Platform.Persistence;

public static class BatchStarts
{
    /// <summary>
    /// A worker began the batch now (batches.started_at), unless the batch has ended. The Orchestrator's
    /// stuck clock runs from here: until then the batch was only waiting in the queue behind others. Now by the
    /// database's clock, as the Orchestrator's stamps are (<see cref="DatabaseClock"/>), not this host's.
    /// </summary>
    public static async Task MarkBatchStartedAsync(this VisRLDbContext db, Guid batchId, CancellationToken cancellationToken)
    {
        var now = await db.NowAsync(cancellationToken);
        await db.Batches.Where(b => b.Id == batchId && b.CompletedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.StartedAt, now), cancellationToken);
    }
}
