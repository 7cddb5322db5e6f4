using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Integration.Tests;

/// <summary>
/// The idempotent insert of the workers' writers on a real PostgreSQL: rows another writer stored between
/// the check and the save (a second delivery, or this save's own commit that a lost connection hid) are
/// not written again, and the rest are.
/// </summary>
[Collection(StackCollection.Name)]
public class MissingRowsTests : IAsyncLifetime
{
    private const string UniqueIndex = "ix_work_failures_iteration_id_item_id_stage";
    private readonly Guid _iterationId = Guid.NewGuid();
    private DatabaseOptions _database = null!;

    public async Task InitializeAsync()
    {
        _database = await TestStack.CreateMigratedDatabaseAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task RowsStoredBetweenTheCheckAndTheSaveAreNotWrittenAgain_AndTheRestAre()
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var checks = 0;
        var inserted = await db.InsertMissingAsync(async ct =>
        {
            var missing = await MissingAsync(db, [1, 2, 3], ct);
            if (++checks == 1) await StoreElsewhereAsync(2); // after this check, before its save
            return missing;
        }, UniqueIndex, CancellationToken.None);

        Assert.Equal((2, 2), (inserted, checks));
        Assert.Equal([1, 2, 3], await StoredAsync());
        Assert.Equal("elsewhere", (await db.WorkFailures.AsNoTracking().SingleAsync(f => f.ItemId == 2)).Reason);
    }

    [Fact]
    public async Task ACollisionOnAnotherIndexOrASecondOneIsAnError()
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        // Not the index named: a collision the caller did not declare harmless.
        await StoreElsewhereAsync(1);
        await Assert.ThrowsAsync<DbUpdateException>(() => db.InsertMissingAsync(
            _ => Task.FromResult(new List<WorkFailure> { Failure(1, "again") }), "ix_some_other_index", CancellationToken.None));

        // Rows that keep appearing between check and save: the second collision is not swallowed.
        await using var fresh = PersistenceExtensions.CreateVisRLDbContext(_database);
        var next = 10;
        await Assert.ThrowsAsync<DbUpdateException>(() => fresh.InsertMissingAsync(async ct =>
        {
            var missing = await MissingAsync(fresh, [next], ct);
            await StoreElsewhereAsync(next++);
            return missing;
        }, UniqueIndex, CancellationToken.None));
    }

    private async Task<List<WorkFailure>> MissingAsync(VisRLDbContext db, long[] itemIds, CancellationToken ct)
    {
        var stored = await db.WorkFailures.AsNoTracking().Where(f => f.IterationId == _iterationId).Select(f => f.ItemId).ToListAsync(ct);
        return [.. itemIds.Except(stored).Select(i => Failure(i, "this writer"))];
    }

    private WorkFailure Failure(long itemId, string reason) =>
        new() { IterationId = _iterationId, ItemId = itemId, Stage = "sample", Reason = reason, CreatedAt = DateTimeOffset.UtcNow };

    private async Task StoreElsewhereAsync(long itemId)
    {
        await using var other = PersistenceExtensions.CreateVisRLDbContext(_database);
        other.WorkFailures.Add(Failure(itemId, "elsewhere"));
        await other.SaveChangesAsync();
    }

    private async Task<List<long>> StoredAsync()
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        return await db.WorkFailures.AsNoTracking().Where(f => f.IterationId == _iterationId).Select(f => f.ItemId).OrderBy(i => i).ToListAsync();
    }
}
