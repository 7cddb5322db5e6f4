using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Platform.Training;

/// <summary>
/// A training job's record in Postgres: the job row (config, status, steps) and its metrics.
/// Metrics are written with ON CONFLICT DO NOTHING on (job, step, name), so a job that resumes
/// from a checkpoint and replays a few steps writes each metric once.
/// </summary>
public sealed class TrainingJournal(IDbContextFactory<VisRLDbContext> contexts)
{
    /// <summary>Creates the job row, or marks a resumed job running again; either way records the machine it runs on now.</summary>
    public async Task<TrainingJob> StartAsync(Guid jobId, string stage, string configJson, int plannedSteps,
        string? startCheckpoint = null, Guid? runId = null, Guid? iterationId = null, Guid? pairSetId = null,
        string machineJson = "{}", CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = await db.TrainingJobs.SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
        var now = DateTimeOffset.UtcNow;
        if (job is null)
        {
            job = new TrainingJob
            {
                Id = jobId, Stage = stage, ConfigJson = configJson, PlannedSteps = plannedSteps, StartCheckpoint = startCheckpoint,
                RunId = runId, IterationId = iterationId, PairSetId = pairSetId, MachineJson = machineJson, Status = "running",
                CreatedAt = now, UpdatedAt = now,
            };
            db.TrainingJobs.Add(job);
        }
        else
        {
            job.Status = "running"; // resumed
            job.MachineJson = machineJson;
            job.UpdatedAt = now;
        }
        await db.SaveChangesAsync(cancellationToken);
        return job;
    }

    public async Task RecordAsync(Guid jobId, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default)
    {
        if (metrics.Count == 0) return;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        foreach (var (name, value) in metrics)
        {
            if (!double.IsFinite(value)) throw new ArgumentException($"metric {name} at step {step} is {value}, not a finite number");
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"INSERT INTO training_metrics (training_job_id, step, name, value, created_at) VALUES ({jobId}, {step}, {name}, {value}, {now}) ON CONFLICT (training_job_id, step, name) DO NOTHING",
                cancellationToken);
        }
        await db.TrainingJobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(
            s => s.SetProperty(j => j.CompletedSteps, j => Math.Max(j.CompletedSteps, step)).SetProperty(j => j.UpdatedAt, now), cancellationToken);
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
