using Microsoft.EntityFrameworkCore;
using VisRL.Contracts.V1;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Orchestrator.Rounds;

/// <summary>
/// The bookkeeping behind the iteration state machine: which items a round takes, its batches per
/// stage, and their outcomes. It works in the caller's DbContext — the saga's transaction — so
/// batch rows and the round's state commit together. Changes are flushed (not committed) before a
/// stage's completion is asked of the database. Its stamps come from the database's clock, as the workers' do.
/// </summary>
public sealed class RoundLedger(VisRLDbContext db)
{
    private DateTimeOffset? _now;

    private async Task<DateTimeOffset> NowAsync(CancellationToken cancellationToken) => _now ??= await db.NowAsync(cancellationToken);

    /// <summary>Records the round's items as sample batches; returns the commands to send.</summary>
    public async Task<IReadOnlyList<SampleBatch>> PlanAsync(Iteration iteration, StartIteration start, RoundConfig config,
        CancellationToken cancellationToken)
    {
        var dataset = await db.Datasets.AsNoTracking().SingleOrDefaultAsync(d => d.Name == start.Dataset, cancellationToken)
            ?? throw new RoundRejectedException($"dataset '{start.Dataset}' does not exist");
        var query = db.Items.AsNoTracking().Where(i => i.DatasetId == dataset.Id && i.Split == config.Split).OrderBy(i => i.Ordinal).Select(i => i.Id);
        var itemIds = await (start.ItemLimit is { } limit ? query.Take(limit) : query).ToListAsync(cancellationToken);
        if (itemIds.Count == 0) throw new RoundRejectedException($"dataset '{start.Dataset}' has no items in split '{config.Split}'");
        iteration.PolicyCheckpoint = await PinAsync("policy", config.Policy, start.PolicyCheckpoint, cancellationToken);
        iteration.JudgeCheckpoint = await PinAsync("judge", config.Judge, start.JudgeCheckpoint, cancellationToken);
        iteration.JudgeId = JudgeIds.Of(config.Judge, iteration.JudgeCheckpoint);

        iteration.DatasetId = dataset.Id;
        iteration.ItemCount = itemIds.Count;
        var now = await NowAsync(cancellationToken);
        var batches = BatchPlan.Cut(itemIds, config.BatchSize, config.BatchTaper).Select((ids, ordinal) => NewBatch(iteration.Id, BatchStages.Sample, ordinal, ids, now)).ToList();
        iteration.BatchCount = batches.Count;
        db.Batches.AddRange(batches);
        return batches.Select(b => SampleCommand(iteration, b, config)).ToList();
    }

    /// <summary>
    /// A local model's checkpoint as its content hash, whatever the message named it by (a hash prefix, an
    /// id): every batch then loads the same checkpoint, and the round's judge id is the hash its scores are
    /// stored under. A checkpoint that does not exist rejects the round before anything is sampled.
    /// </summary>
    private async Task<string> PinAsync(string role, ModelEndpoint? endpoint, string reference, CancellationToken cancellationToken)
    {
        if (endpoint?.IsHttp() == true) return reference; // the endpoint plays the role; the checkpoint is not used
        try
        {
            return (await CheckpointStore.ResolveAsync(db, reference, cancellationToken)).ContentHash;
        }
        catch (Exception e) when (e is KeyNotFoundException or ArgumentException)
        {
            throw new RoundRejectedException($"{role} checkpoint: {e.Message}");
        }
    }

    /// <summary>
    /// Marks a batch done and returns it; null when it was done already (a redelivered event). A batch
    /// marked failed whose work arrives after all (a slow attempt outlived its stuck clock) is done too:
    /// the saga asks only while the batch's stage is open. Flushed, so that the stage checks that follow count it.
    /// </summary>
    public async Task<Batch?> CompleteAsync(Guid iterationId, Guid batchId, CancellationToken cancellationToken)
    {
        var batch = await FindAsync(iterationId, batchId, cancellationToken);
        if (batch.Status == BatchStages.Done) return null;
        batch.Status = BatchStages.Done;
        batch.CompletedAt = await NowAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return batch;
    }

    /// <summary>
    /// A batch failed: dispatch it again while attempts remain (returns the command), else mark it failed
    /// with the reason. The failure of an attempt older than the batch's last changes nothing: that one is still out.
    /// </summary>
    public async Task<object?> FailAsync(Iteration iteration, BatchFailed failed, RoundConfig config, CancellationToken cancellationToken)
    {
        var batch = await FindAsync(iteration.Id, failed.BatchId, cancellationToken);
        if (batch.Status != BatchStages.Dispatched || failed.Attempt < batch.Attempts) return null;
        batch.LastError = failed.Reason;
        var now = await NowAsync(cancellationToken);
        if (HasAttemptsLeft(iteration, batch, config)) return Redispatch(iteration, batch, config, now);

        batch.Status = BatchStages.Failed;
        batch.CompletedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return null;
    }

    /// <summary>
    /// The batch a faulted command's work was under when that is not the command's own: a moved-back part works under a
    /// claim of its own (MovedBackWork), while its fault names the batch the part was cut from, long finished. The claim
    /// is the stage's batch still out with the part's items, numbered after the planned batches. Null when the
    /// command's own batch is still out (the fault is its own) or no claim matches.
    /// </summary>
    public async Task<Batch?> MovedBackClaimAsync(Iteration iteration, Guid batchId, string stage, IReadOnlyList<long> itemIds, CancellationToken cancellationToken)
    {
        if ((await FindAsync(iteration.Id, batchId, cancellationToken)).Status == BatchStages.Dispatched) return null;
        var claims = await db.Batches.Where(b => b.IterationId == iteration.Id && b.Stage == stage && b.Status == BatchStages.Dispatched
            && b.Ordinal >= iteration.BatchCount).ToListAsync(cancellationToken);
        return claims.Where(b => b.ItemIds.SequenceEqual(itemIds)).MaxBy(b => b.Ordinal);
    }

    /// <summary>
    /// The score batch of a sample batch that has just been done, so that scoring runs beside the rest
    /// of the sampling. Flushed, so that the stage checks that follow count it.
    /// </summary>
    public async Task<ScoreBatch> PlanScoringAsync(Iteration iteration, Batch sampled, RoundConfig config, CancellationToken cancellationToken)
    {
        var batch = NewBatch(iteration.Id, BatchStages.Score, sampled.Ordinal, sampled.ItemIds, await NowAsync(cancellationToken));
        db.Batches.Add(batch);
        await db.SaveChangesAsync(cancellationToken);
        return ScoreCommand(iteration, batch, config);
    }

    /// <summary>
    /// Throws when a finished <paramref name="stage"/> has not a single batch that succeeded: the round has nothing to
    /// score, or nothing to pair (an empty pair set would end a round without training as if it had worked).
    /// </summary>
    public async Task EnsureSomethingDoneAsync(Guid iterationId, string stage, CancellationToken cancellationToken)
    {
        var batches = db.Batches.AsNoTracking().Where(b => b.IterationId == iterationId && b.Stage == stage);
        if (await batches.AnyAsync(b => b.Status == BatchStages.Done, cancellationToken)) return;
        var last = await batches.Where(b => b.Status == BatchStages.Failed).OrderByDescending(b => b.CompletedAt).Select(b => new { b.Ordinal, b.LastError }).FirstOrDefaultAsync(cancellationToken);
        throw new RoundRejectedException($"every {stage} batch failed (batch {last?.Ordinal}: {last?.LastError}); see the batches' last_error", stage);
    }

    /// <summary>
    /// Dispatched batches with no answer for longer than the round allows (<see cref="StuckBatches"/>);
    /// dispatched again (or failed when out of attempts). <paramref name="at"/>: now by the database's clock unless given.
    /// </summary>
    public async Task<IReadOnlyList<object>> RedispatchStuckAsync(Iteration iteration, RoundConfig config, CancellationToken cancellationToken,
        DateTimeOffset? at = null)
    {
        var now = at ?? await NowAsync(cancellationToken);
        var cutoff = now.AddSeconds(-config.StuckAfterSeconds);
        var waiting = await db.Batches.Where(b => b.IterationId == iteration.Id && b.Status == BatchStages.Dispatched && b.DispatchedAt < cutoff)
            .ToListAsync(cancellationToken);
        if (waiting.Count == 0) return [];
        // A queue moves when any round's batch of that stage starts or finishes: the stages' queues are shared.
        var stages = waiting.Select(b => b.Stage).Distinct().ToList();
        var moving = await db.Batches.AsNoTracking().Where(b => stages.Contains(b.Stage) && (b.StartedAt >= cutoff || b.CompletedAt >= cutoff))
            .Select(b => b.Stage).Distinct().ToListAsync(cancellationToken);
        var commands = new List<object>();
        foreach (var batch in waiting.Where(b => StuckBatches.IsStuck(b.StartedAt, cutoff, moving.Contains(b.Stage))))
        {
            batch.LastError = batch.StartedAt is null
                ? $"not taken from the queue, which has not moved for {config.StuckAfterSeconds} s (attempt {batch.Attempts})"
                : $"no answer within {config.StuckAfterSeconds} s of its start (attempt {batch.Attempts})";
            if (HasAttemptsLeft(iteration, batch, config)) commands.Add(Redispatch(iteration, batch, config, now));
            else
            {
                batch.Status = BatchStages.Failed;
                batch.CompletedAt = now;
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        return commands;
    }

    /// <summary>
    /// A resumed round: its failed batches go out again with fresh attempts (their attempt numbers go on
    /// rising, so an old attempt's late answer still changes nothing), and an empty pair set the filter
    /// stored for it is dropped, so that the filter builds the set anew from what they add. Flushed.
    /// </summary>
    public async Task<IReadOnlyList<object>> ResumeAsync(Iteration iteration, RoundConfig config, CancellationToken cancellationToken)
    {
        var failed = await db.Batches.Where(b => b.IterationId == iteration.Id && b.Status == BatchStages.Failed)
            .OrderBy(b => b.Stage).ThenBy(b => b.Ordinal).ToListAsync(cancellationToken);
        var now = await NowAsync(cancellationToken);
        var commands = new List<object>();
        foreach (var batch in failed)
        {
            batch.Status = BatchStages.Dispatched;
            batch.CompletedAt = null;
            commands.Add(Redispatch(iteration, batch, config, now));
        }
        await db.PairSets.Where(p => p.IterationId == iteration.Id && p.PairCount == 0).ExecuteDeleteAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return commands;
    }

    /// <summary>Each resume of the round gives a batch another <see cref="RoundConfig.MaxBatchAttempts"/>.</summary>
    private static bool HasAttemptsLeft(Iteration iteration, Batch batch, RoundConfig config) =>
        batch.Attempts < config.MaxBatchAttempts * (iteration.Resumes + 1);

    public Task<bool> StageFinishedAsync(Guid iterationId, string stage, CancellationToken cancellationToken) =>
        db.Batches.AllAsync(b => b.IterationId != iterationId || b.Stage != stage || b.Status != BatchStages.Dispatched, cancellationToken);

    private async Task<Batch> FindAsync(Guid iterationId, Guid batchId, CancellationToken cancellationToken) =>
        await db.Batches.SingleOrDefaultAsync(b => b.Id == batchId && b.IterationId == iterationId, cancellationToken)
        ?? throw new InvalidOperationException($"batch {batchId} is not a batch of iteration {iterationId}");

    private static object Redispatch(Iteration iteration, Batch batch, RoundConfig config, DateTimeOffset now)
    {
        batch.Attempts++;
        batch.DispatchedAt = now;
        batch.StartedAt = null;
        return batch.Stage == BatchStages.Sample ? SampleCommand(iteration, batch, config) : ScoreCommand(iteration, batch, config);
    }

    private static Batch NewBatch(Guid iterationId, string stage, int ordinal, long[] itemIds, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid(), IterationId = iterationId, Stage = stage, Ordinal = ordinal, ItemIds = itemIds,
        Status = BatchStages.Dispatched, Attempts = 1, DispatchedAt = now,
    };

    private static SampleBatch SampleCommand(Iteration iteration, Batch batch, RoundConfig config) =>
        new(iteration.RunId, iteration.Id, batch.Id, batch.Ordinal, batch.Attempts, batch.ItemIds, iteration.PolicyCheckpoint, config.Sampling, config.Policy);

    private static ScoreBatch ScoreCommand(Iteration iteration, Batch batch, RoundConfig config) =>
        new(iteration.RunId, iteration.Id, batch.Id, batch.Ordinal, batch.Attempts, batch.ItemIds, iteration.JudgeCheckpoint, config.Thresholds.UseBoxCritic, config.Judge);
}
