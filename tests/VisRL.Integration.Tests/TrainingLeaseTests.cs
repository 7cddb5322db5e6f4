using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;
using VisRL.Platform.Training;

namespace VisRL.Integration.Tests;

/// <summary>A training job runs in one place at a time (TrainingJournal.HoldingLeaseAsync, a PostgreSQL advisory lock).</summary>
[Collection(StackCollection.Name)]
public class TrainingLeaseTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private DatabaseOptions _database = null!;
    private TrainingJournal _journal = null!;

    public async Task InitializeAsync()
    {
        _database = await TestStack.CreateEmptyDatabaseAsync();
        // A 1 s command timeout: a run waits for a job longer than any one command may take.
        _journal = new TrainingJournal(new VisRLDbContextFactory(new DatabaseOptions { ConnectionString = _database.ConnectionString + ";Command Timeout=1" }));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ASecondRunOfAJobWaitsForTheFirst_AnotherJobDoesNot_AndAWaitingRunCanBeCancelled()
    {
        var job = Guid.NewGuid();
        var (firstRunning, endFirst) = (new TaskCompletionSource(), new TaskCompletionSource());
        var first = _journal.HoldingLeaseAsync(job, async _ => { firstRunning.SetResult(); await endFirst.Task; return "first"; }, null, default);
        await firstRunning.Task.WaitAsync(Patience);

        var heldElsewhere = new TaskCompletionSource();
        var secondRan = false;
        var second = _journal.HoldingLeaseAsync(job, _ => { secondRan = true; return Task.FromResult("second"); }, heldElsewhere.SetResult, default);
        await heldElsewhere.Task.WaitAsync(Patience);
        Assert.Equal("other", await _journal.HoldingLeaseAsync(Guid.NewGuid(), _ => Task.FromResult("other"),
            () => Assert.Fail("another job waited"), default).WaitAsync(Patience));
        using (var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _journal.HoldingLeaseAsync(job, _ => Task.FromResult("third"), null, giveUp.Token));
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // the first run goes on past the command timeout
        Assert.False(secondRan);

        endFirst.SetResult();
        Assert.Equal("first", await first);
        Assert.Equal("second", await second.WaitAsync(Patience));
        Assert.Equal("again", await _journal.HoldingLeaseAsync(job, _ => Task.FromResult("again"), () => Assert.Fail("the job's lease was not given back"), default)
            .WaitAsync(Patience));
    }

    [Fact]
    public async Task ARunnerWhoseSessionDiesFreesItsJob()
    {
        var job = Guid.NewGuid();
        var (firstRunning, endFirst) = (new TaskCompletionSource(), new TaskCompletionSource());
        var first = _journal.HoldingLeaseAsync(job, async _ => { firstRunning.SetResult(); await endFirst.Task; return "first"; }, null, default);
        await firstRunning.Task.WaitAsync(Patience);
        var second = _journal.HoldingLeaseAsync(job, _ => Task.FromResult("second"), null, default);
        await Task.Delay(300);
        Assert.False(second.IsCompleted);

        // The first runner's process dies: its session ends, as a SIGKILL or a lost connection would end it.
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            Assert.Equal(1, await db.Database.SqlQuery<int>($"""
                SELECT count(pg_terminate_backend(l.pid))::int AS "Value" FROM pg_locks l
                WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """).SingleAsync());
        Assert.Equal("second", await second.WaitAsync(Patience));
        endFirst.SetResult();
        Assert.Equal("first", await first.WaitAsync(Patience)); // giving back a lease whose session is gone is no error
    }
}
