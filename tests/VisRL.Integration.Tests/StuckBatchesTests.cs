using VisRL.Orchestrator.Rounds;

namespace VisRL.Integration.Tests;

/// <summary>When a dispatched batch counts as stuck (pure: nothing running).</summary>
public class StuckBatchesTests
{
    private static readonly DateTimeOffset Cutoff = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(-1, false, true)]  // a worker began it before the cutoff and has not answered
    [InlineData(-1, true, true)]   // ... however much the rest of the queue moves
    [InlineData(1, false, false)]  // began after the cutoff: still within its time
    [InlineData(null, true, false)]  // waiting in a queue that moves: its turn will come
    [InlineData(null, false, true)]  // waiting in a queue that has not moved: lost, or no worker runs
    public void StuckMeansHeldTooLongOrLeftBehindByAStillQueue(int? startedMinutesFromCutoff, bool queueMoved, bool stuck) =>
        Assert.Equal(stuck, StuckBatches.IsStuck(startedMinutesFromCutoff is { } m ? Cutoff.AddMinutes(m) : null, Cutoff, queueMoved));
}
