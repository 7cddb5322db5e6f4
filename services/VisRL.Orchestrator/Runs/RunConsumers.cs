using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using VisRL.Contracts.V1;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Orchestrator.Runs;

/// <summary>
/// StartRun → the run's row (its full configuration) and its first iteration. A run whose round config is refused
/// still gets its row and a first iteration, carrying the config as given, which the saga fails with the reason
/// (as it fails a round started on its own): `visrl run start` and `run show` then say why, where the message alone
/// in the _error queue would have left the run unseen and its follower waiting.
/// </summary>
public sealed class StartRunConsumer(IDbContextFactory<VisRLDbContext> contexts) : IConsumer<StartRun>
{
    public async Task Consume(ConsumeContext<StartRun> context)
    {
        var m = context.Message;
        (string ConfigJson, StartIteration First) run;
        try
        {
            var plan = RunPlan.From(m);
            run = (plan.ToJson(), plan.Iteration(1, m.PolicyCheckpoint));
        }
        catch (ArgumentException) when (RunPlan.Refused(m) is { } refused)
        {
            run = (JsonSerializer.Serialize(m, JsonSerializerOptions.Web), refused);
        }
        catch (ArgumentException e) { throw new PermanentFailureException($"run {m.RunId} ({m.Name}): {e.Message}", e); } // no retry: to _error with the reason
        await using var db = await contexts.CreateDbContextAsync(context.CancellationToken);
        if (await db.Runs.FindAsync([m.RunId], context.CancellationToken) is null)
        {
            var now = DateTimeOffset.UtcNow;
            db.Runs.Add(new Run { Id = m.RunId, Name = m.Name, ConfigJson = run.ConfigJson, PlannedIterations = m.Iterations, Status = "running", CreatedAt = now, UpdatedAt = now });
            await db.SaveChangesAsync(context.CancellationToken);
        }
        await context.Publish(run.First);
    }
}

/// <summary>IterationCompleted → the next iteration, sampling from the new policy, or RunCompleted after the last one.</summary>
public sealed class IterationCompletedConsumer(IDbContextFactory<VisRLDbContext> contexts) : IConsumer<IterationCompleted>
{
    public async Task Consume(ConsumeContext<IterationCompleted> context)
    {
        var m = context.Message;
        await using var db = await contexts.CreateDbContextAsync(context.CancellationToken);
        var run = await db.Runs.SingleAsync(r => r.Id == m.RunId, context.CancellationToken);
        if (m.Number < run.PlannedIterations)
        {
            await context.Publish(RunPlan.Parse(run.ConfigJson).Iteration(m.Number + 1, m.PolicyCheckpoint));
            return;
        }
        run.Status = "completed";
        run.UpdatedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(context.CancellationToken);
        await context.Publish(new RunCompleted(run.Id, run.PlannedIterations, m.PolicyCheckpoint));
    }
}

/// <summary>
/// IterationFailed → the run is failed (its iteration's row holds the reason), unless the iteration has been
/// taken up again meanwhile (ResumeIteration): a late event must not fail a run that is under way.
/// </summary>
public sealed class IterationFailedConsumer(IDbContextFactory<VisRLDbContext> contexts) : IConsumer<IterationFailed>
{
    public async Task Consume(ConsumeContext<IterationFailed> context)
    {
        var m = context.Message;
        await using var db = await contexts.CreateDbContextAsync(context.CancellationToken);
        await db.Runs.Where(r => r.Id == m.RunId && db.Iterations.Any(i => i.Id == m.IterationId && i.State == "Failed")).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, "failed").SetProperty(r => r.UpdatedAt, DateTimeOffset.UtcNow), context.CancellationToken);
    }
}
