using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data;

/// <summary>
/// Records items a stage could not process in <c>work_failures</c>, once per (iteration, item, stage) (<see cref="MissingRows"/>);
/// a redelivery skips them, a message moved back from its _error queue tries them again and clears those that succeed.
/// </summary>
public static class FailureWriter
{
    public static Task<int> WriteAsync(VisRLDbContext db, Guid iterationId, string stage, IReadOnlyList<ItemLoadFailure> failures, CancellationToken cancellationToken = default) =>
        failures.Count == 0 ? Task.FromResult(0) : db.InsertMissingAsync(async ct =>
        {
            var itemIds = failures.Select(f => f.ItemId).ToList();
            var existing = (await db.WorkFailures.AsNoTracking()
                .Where(f => f.IterationId == iterationId && f.Stage == stage && itemIds.Contains(f.ItemId))
                .Select(f => f.ItemId).ToListAsync(ct)).ToHashSet();
            var now = DateTimeOffset.UtcNow;
            return failures.Where(f => existing.Add(f.ItemId))
                .Select(f => new WorkFailure { IterationId = iterationId, ItemId = f.ItemId, Stage = stage, Reason = f.Reason, CreatedAt = now }).ToList();
        }, "ix_work_failures_iteration_id_item_id_stage", cancellationToken);

    /// <summary>
    /// The items among <paramref name="itemIds"/> that failed at <paramref name="stage"/> before, which a batch skips;
    /// none with <paramref name="tryAgain"/> (a batch moved back from its _error queue), which tries them again and
    /// forgets the failures of those that succeed (<see cref="ForgetAsync"/>).
    /// </summary>
    public static async Task<List<long>> FailedBeforeAsync(VisRLDbContext db, Guid iterationId, string stage, IReadOnlyList<long> itemIds, bool tryAgain,
        CancellationToken cancellationToken = default) =>
        tryAgain ? [] : await db.WorkFailures.AsNoTracking().Where(f => f.IterationId == iterationId && f.Stage == stage && itemIds.Contains(f.ItemId))
            .Select(f => f.ItemId).ToListAsync(cancellationToken);

    /// <summary>Forgets the failures of items a moved-back batch has now processed; those of items that failed again stay.</summary>
    public static Task<int> ForgetAsync(VisRLDbContext db, Guid iterationId, string stage, IEnumerable<long> processed, CancellationToken cancellationToken = default)
    {
        var itemIds = processed.ToList();
        return db.WorkFailures.Where(f => f.IterationId == iterationId && f.Stage == stage && itemIds.Contains(f.ItemId)).ExecuteDeleteAsync(cancellationToken);
    }
}
