using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data;

/// <summary>Records items a stage could not process in <c>work_failures</c>, once per (iteration, item, stage).</summary>
public static class FailureWriter
{
    public static async Task<int> WriteAsync(VisRLDbContext db, Guid iterationId, string stage, IReadOnlyList<ItemLoadFailure> failures, CancellationToken cancellationToken = default)
    {
        if (failures.Count == 0) return 0;
        var itemIds = failures.Select(f => f.ItemId).ToList();
        var existing = (await db.WorkFailures.AsNoTracking()
            .Where(f => f.IterationId == iterationId && f.Stage == stage && itemIds.Contains(f.ItemId))
            .Select(f => f.ItemId).ToListAsync(cancellationToken)).ToHashSet();
        var now = DateTimeOffset.UtcNow;
        var missing = failures.Where(f => existing.Add(f.ItemId))
            .Select(f => new WorkFailure { IterationId = iterationId, ItemId = f.ItemId, Stage = stage, Reason = f.Reason, CreatedAt = now }).ToList();
        if (missing.Count == 0) return 0;
        db.WorkFailures.AddRange(missing);
        await db.SaveChangesAsync(cancellationToken);
        return missing.Count;
    }
}
