using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data;

/// <summary>
/// Writes items one batch per transaction. The (dataset, split, ordinal) key makes a batch
/// idempotent: rows already present are skipped, so reruns after a crash fill only the gaps.
/// </summary>
public static class ItemBatchWriter
{
    public static async Task<HashSet<int>> ExistingOrdinalsAsync(DatasetStorage storage, Guid datasetId, string split,
        IReadOnlyCollection<int> ordinals, CancellationToken cancellationToken)
    {
        await using var db = storage.CreateDb();
        var list = ordinals.ToList();
        var present = await db.Items.AsNoTracking()
            .Where(i => i.DatasetId == datasetId && i.Split == split && list.Contains(i.Ordinal))
            .Select(i => i.Ordinal)
            .ToListAsync(cancellationToken);
        return [.. present];
    }

    /// <summary>Inserts the items whose ordinals are missing, all or none; returns how many were inserted.</summary>
    public static async Task<int> InsertMissingAsync(DatasetStorage storage, IReadOnlyList<Item> items, CancellationToken cancellationToken)
    {
        if (items.Count == 0) return 0;
        var datasetId = items[0].DatasetId;
        var split = items[0].Split;
        if (items.Any(i => i.DatasetId != datasetId || i.Split != split))
            throw new ArgumentException("a batch holds items of one dataset split", nameof(items));
        var ordinals = items.Select(i => i.Ordinal).ToList();

        await using var db = storage.CreateDb();
        // Npgsql retries transient failures; an explicit transaction must run inside the strategy
        // so a retry replays the whole unit. The body re-reads what is present and adds fresh
        // entities each time, so a retry after a commit whose acknowledgement was lost inserts nothing twice.
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async token =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(token);
            var present = await db.Items
                .Where(i => i.DatasetId == datasetId && i.Split == split && ordinals.Contains(i.Ordinal))
                .Select(i => i.Ordinal)
                .ToListAsync(token);
            var fresh = items.Where(i => !present.Contains(i.Ordinal)).Select(Copy).ToList();
            db.Items.AddRange(fresh);
            await db.SaveChangesAsync(token);
            await transaction.CommitAsync(token);
            return fresh.Count;
        }, cancellationToken);
    }

    private static Item Copy(Item i) => new()
    {
        DatasetId = i.DatasetId, Split = i.Split, Ordinal = i.Ordinal, ImageBlobKey = i.ImageBlobKey,
        ImageWidth = i.ImageWidth, ImageHeight = i.ImageHeight, Question = i.Question, StandardAnswer = i.StandardAnswer,
        Family = i.Family, GtX1 = i.GtX1, GtY1 = i.GtY1, GtX2 = i.GtX2, GtY2 = i.GtY2,
    };
}
