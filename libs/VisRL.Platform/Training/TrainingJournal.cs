using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Platform.Training;

/// <summary>
/// A training job's record in Postgres: the job row (config, status, steps), its metrics and, for a
/// DPO job with a precomputed reference, that reference's log-probs. Metrics are written with ON
/// CONFLICT DO NOTHING on (job, step, name), so a job that resumes from a checkpoint and replays a
/// few steps writes each metric once.
/// </summary>
public sealed class TrainingJournal(IDbContextFactory<VisRLDbContext> contexts)
{
    /// <summary>
    /// Creates the job row, or marks a resumed job running again; either way records the machine it runs on now.
    /// A DPO job's <paramref name="pairIds"/> are kept from its first start (see <see cref="PinnedPairsAsync"/>).
    /// </summary>
    public async Task<TrainingJob> StartAsync(Guid jobId, string stage, string configJson, int plannedSteps,
        string? startCheckpoint = null, Guid? runId = null, Guid? iterationId = null, Guid? pairSetId = null,
        string machineJson = "{}", IReadOnlyList<long>? pairIds = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = await db.TrainingJobs.SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
        var now = DateTimeOffset.UtcNow;
        if (job is null)
        {
            job = new TrainingJob
            {
                Id = jobId, Stage = stage, ConfigJson = configJson, PlannedSteps = plannedSteps, StartCheckpoint = startCheckpoint,
                RunId = runId, IterationId = iterationId, PairSetId = pairSetId, PairIds = pairIds?.ToArray(), MachineJson = machineJson, Status = "running",
                CreatedAt = now, UpdatedAt = now,
            };
            db.TrainingJobs.Add(job);
        }
        else
        {
            job.Status = "running"; // resumed (after a crash, or an outage it waited out)
            job.PairIds ??= pairIds?.ToArray(); // a job that failed before it started has none yet
            job.FailureReason = null;
            job.MachineJson = machineJson;
            job.UpdatedAt = now;
        }
        await db.SaveChangesAsync(cancellationToken);
        return job;
    }

    /// <summary>The pairs a DPO job started on, in training order; null when it has not started (or predates migration 0008).</summary>
    public async Task<long[]?> PinnedPairsAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.TrainingJobs.Where(j => j.Id == jobId).Select(j => j.PairIds).SingleOrDefaultAsync(cancellationToken);
    }

    public async Task RecordAsync(Guid jobId, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default)
    {
        if (metrics.Count == 0) return;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        foreach (var (name, value) in metrics)
            if (!double.IsFinite(value)) throw new ArgumentException($"metric {name} at step {step} is {value}, not a finite number");
        string[] names = [.. metrics.Keys];
        double[] values = [.. metrics.Values];
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO training_metrics (training_job_id, step, name, value, created_at) SELECT {jobId}, {step}, m.name, m.value, {now} FROM unnest({names}, {values}) AS m(name, value) ON CONFLICT (training_job_id, step, name) DO NOTHING",
            cancellationToken);
        await db.TrainingJobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(
            s => s.SetProperty(j => j.CompletedSteps, j => Math.Max(j.CompletedSteps, step)).SetProperty(j => j.UpdatedAt, now), cancellationToken);
    }

    /// <summary>
    /// Stores a DPO job's reference log-probs (term → one value per pair, in <paramref name="pairIds"/>'
    /// order; NaN where a pair has no such term) in one transaction, so a job has all of them or none.
    /// </summary>
    public async Task StoreReferenceAsync(Guid jobId, IReadOnlyList<long> pairIds, IReadOnlyDictionary<string, double[]> logProbs,
        CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var (term, values) in logProbs)
        {
            if (values.Length != pairIds.Count) throw new ArgumentException($"reference {term}: {values.Length} log-probs for {pairIds.Count} pairs");
            db.ReferenceLogProbs.AddRange(pairIds.Select((pairId, i) => (pairId, value: values[i])).Where(x => !double.IsNaN(x.value))
                .Select(x => new ReferenceLogProb { TrainingJobId = jobId, PairId = x.pairId, Term = term, LogProb = x.value }));
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The job's stored reference log-probs in <paramref name="pairIds"/>' order (NaN where none is stored), or null when it has none.</summary>
    /// <exception cref="InvalidOperationException">A stored value belongs to a pair that is not in <paramref name="pairIds"/>.</exception>
    public async Task<IReadOnlyDictionary<string, double[]>?> LoadReferenceAsync(Guid jobId, IReadOnlyList<long> pairIds,
        CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.ReferenceLogProbs.AsNoTracking().Where(r => r.TrainingJobId == jobId).ToListAsync(cancellationToken);
        if (rows.Count == 0) return null;
        var position = pairIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var result = new Dictionary<string, double[]>();
        foreach (var row in rows)
        {
            if (!position.TryGetValue(row.PairId, out var i))
                throw new InvalidOperationException($"training job {jobId}: a stored reference log-prob belongs to pair {row.PairId}, which is not in the job's pair set");
            if (!result.TryGetValue(row.Term, out var values))
                result[row.Term] = values = Enumerable.Repeat(double.NaN, pairIds.Count).ToArray();
            values[i] = row.LogProb;
        }
        return result;
    }

    /// <summary>
    /// Runs a resumable job holding its lease (<see cref="HoldingLeaseAsync{T}"/>), and runs it again after each PostgreSQL
    /// or blob storage outage (<see cref="Outages.WaitOutAsync{T}"/>), up to <paramref name="patience"/> per outage. While
    /// it waits its row says so, and <paramref name="onWait"/> hears the reason and the pause (the Trainer logs them,
    /// `visrl train` shows them).
    /// </summary>
    public Task<T> WaitOutOutagesAsync<T>(Guid jobId, Func<CancellationToken, Task<T>> job, TimeSpan patience, Action<string, TimeSpan> onWait,
        CancellationToken cancellationToken, Action? onHeldElsewhere = null) =>
        Outages.WaitOutAsync(token => HoldingLeaseAsync(jobId, job, onHeldElsewhere, token), patience, async (reason, pause) =>
        {
            onWait(reason, pause);
            try { await MarkWaitingAsync(jobId, reason); }
            catch (Exception e) when (Outages.Reason(e) is not null) { } // the database may be the server that is out of reach
        }, cancellationToken);

    /// <summary>
    /// Runs the job holding its lease: a PostgreSQL advisory lock on the job id, on a connection of its own. So a job
    /// runs in one place at a time: a command delivered again while its first delivery still trains (the broker
    /// requeues it when a Trainer loses its connection, and that job trains on), or a second `visrl train --job`,
    /// waits for the first (<paramref name="onHeldElsewhere"/> hears it), then finds the job done or resumes it.
    /// A lock lives no longer than its session, so a runner that dies or loses the database frees it.
    /// </summary>
    public async Task<T> HoldingLeaseAsync<T>(Guid jobId, Func<CancellationToken, Task<T>> job, Action? onHeldElsewhere, CancellationToken cancellationToken)
    {
        var bytes = jobId.ToByteArray();
        var key = BitConverter.ToInt64(bytes, 0) ^ BitConverter.ToInt64(bytes, 8);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        Task<bool> TryLockAsync() => db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_lock({key}) AS \"Value\"").SingleAsync(cancellationToken);
        if (!await TryLockAsync())
        {
            onHeldElsewhere?.Invoke();
            // Asked again each second rather than waited for in one command: a job may take longer than any command
            // timeout, and a connection that silently went away fails the next ask instead of hanging the wait.
            do await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            while (!await TryLockAsync());
        }
        try
        {
            return await job(cancellationToken);
        }
        finally
        {
            // Explicitly: a pooled connection's session, and its lock, would outlive the context.
            try { await db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_advisory_unlock({key})", CancellationToken.None); }
            catch (Exception e) when (Outages.Reason(e) is not null) { } // the session, and with it the lock, is gone
        }
    }

    /// <summary>A job paused by an outage says so while it waits (where the database can be reached); its next start marks it running.</summary>
    public async Task MarkWaitingAsync(Guid jobId, string reason, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.TrainingJobs.Where(j => j.Id == jobId && j.Status != "completed").ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, "waiting")
            .SetProperty(j => j.FailureReason, reason)
            .SetProperty(j => j.UpdatedAt, DateTimeOffset.UtcNow), cancellationToken);
    }

    /// <summary>
    /// Marks the job failed with the reason, creating its row when the job failed before it started (a
    /// bad config, a missing checkpoint or pair set), so every job that was asked for leaves one.
    /// </summary>
    public async Task FailAsync(Guid jobId, string stage, string reason, string? startCheckpoint = null, Guid? runId = null,
        Guid? iterationId = null, Guid? pairSetId = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        await db.Database.ExecuteSqlInterpolatedAsync($$"""
            INSERT INTO training_jobs (id, run_id, iteration_id, stage, start_checkpoint, pair_set_id, config_json, machine_json, status,
                planned_steps, completed_steps, failure_reason, created_at, updated_at)
            VALUES ({{jobId}}, {{runId}}, {{iterationId}}, {{stage}}, {{startCheckpoint}}, {{pairSetId}}, '{}', '{}', 'failed', 0, 0, {{reason}}, {{now}}, {{now}})
            ON CONFLICT (id) DO UPDATE SET status = 'failed', failure_reason = EXCLUDED.failure_reason, updated_at = EXCLUDED.updated_at
            """, cancellationToken);
    }

    public async Task FinishAsync(Guid jobId, string? failureReason = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.TrainingJobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, failureReason is null ? "completed" : "failed")
            .SetProperty(j => j.FailureReason, failureReason)
            .SetProperty(j => j.UpdatedAt, DateTimeOffset.UtcNow), cancellationToken);
    }
}
