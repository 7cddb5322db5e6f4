using MassTransit;
using Microsoft.EntityFrameworkCore;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.DataGeneration;
using VisRL.DataGeneration.Backends;
using VisRL.Modeling;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;

namespace VisRL.Sampler;

/// <summary>
/// SampleBatch → candidates for the items not sampled yet (a redelivery samples nothing twice) →
/// BatchSampled. An item whose image cannot be loaded goes to work_failures (and, cut down to that
/// item, to the _error queue for inspection; `visrl errors retry` brings it back once mended, and it is taken up as a
/// batch of its own while its round still samples and scores: <see cref="MovedBackWork"/>) and the rest go on. The policy is the command's backend
/// (in-process checkpoint or HTTP endpoint, <see cref="ModelBackends"/>): an item the endpoint cannot
/// answer after its retries goes to work_failures; a checkpoint that cannot be found or loaded, or an
/// endpoint that is down (EndpointDown), fails the batch (BatchFailed, the Orchestrator retries).
/// </summary>
public sealed class SampleBatchConsumer(IDbContextFactory<VisRLDbContext> contexts, DatasetStorage storage, ModelBackends backends,
    ILogger<SampleBatchConsumer> logger) : IConsumer<SampleBatch>
{
    public async Task Consume(ConsumeContext<SampleBatch> context)
    {
        var m = context.Message;
        var token = context.CancellationToken;
        int perItem = m.Sampling.Attempts * 2;
        await using var db = await contexts.CreateDbContextAsync(token);
        var movedBack = context.IsMovedBack();
        if (movedBack)
        {
            if (await context.TakeUpMovedBackAsync(db, m.IterationId, WorkStages.Sample, m.ItemIds, logger) is not { } claim) return;
            m = m with { BatchId = claim.Id, Ordinal = claim.Ordinal, Attempt = claim.Attempts };
        }
        await db.MarkBatchStartedAsync(m.BatchId, token);
        var done = await db.Candidates.AsNoTracking().Where(c => c.IterationId == m.IterationId && m.ItemIds.Contains(c.ItemId))
            .GroupBy(c => c.ItemId).Where(g => g.Count() >= perItem).Select(g => g.Key).ToListAsync(token);
        var failedBefore = await FailureWriter.FailedBeforeAsync(db, m.IterationId, WorkStages.Sample, m.ItemIds, movedBack, token);
        var todo = m.ItemIds.Except(done).Except(failedBefore).ToList();
        var failedNow = new List<ItemLoadFailure>();

        if (todo.Count > 0)
        {
            var load = await ItemLoader.LoadAsync(storage, todo, token);
            failedNow.AddRange(load.Failed);
            await FailureWriter.WriteAsync(db, m.IterationId, WorkStages.Sample, load.Failed, token);
            foreach (var failure in load.Failed) logger.LogWarning("Item {ItemId} skipped: {Reason}", failure.ItemId, failure.Reason);
            if (load.Failed.Count > 0)
                await context.QuarantineAsync(context.Message with { ItemIds = [.. load.Failed.Select(f => f.ItemId)] },
                    string.Join("; ", load.Failed.Select(f => $"item {f.ItemId}: {f.Reason}")));
            if (load.Loaded.Count > 0)
            {
                SamplingResult result;
                try
                {
                    result = await backends.SampleAsync(m, [.. load.Loaded.Select(i => new SampleItem(i.Row.Id, i.Image, i.Row.Question))], token);
                }
                catch (Exception e) when (e is KeyNotFoundException or CheckpointException or ArgumentException or BackendUnavailableException)
                {
                    var reason = $"{ModelBackends.PolicyName(m)}: {e.Message}";
                    logger.LogError("{Policy}: {Reason}", ModelBackends.PolicyName(m), e.Message);
                    if (!movedBack)
                    {
                        await context.Publish(new BatchFailed(m.RunId, m.IterationId, m.BatchId, WorkStages.Sample, m.Attempt, reason), token);
                        return;
                    }
                    // A moved-back part waits in _error again, its failures kept, and its claim ends with nothing new.
                    await context.QuarantineAsync(context.Message with { ItemIds = [.. load.Loaded.Select(i => i.Row.Id)] }, reason);
                    result = new SamplingResult([], [.. load.Loaded.Select(i => new ItemLoadFailure(i.Row.Id, reason))]);
                }
                foreach (var d in result.Candidates.Where(c => c.Diversity is not null).GroupBy(c => c.Diversity!.Outcome))
                    logger.LogDebug("Diversity controller: {Outcome} × {Count}", d.Key, d.Count());
                // Items the policy endpoint could not answer (after its retries) go to work_failures; not quarantined: the message was fine, the endpoint was not.
                failedNow.AddRange(result.Failed);
                await FailureWriter.WriteAsync(db, m.IterationId, WorkStages.Sample, result.Failed, token);
                foreach (var failure in result.Failed) logger.LogWarning("Item {ItemId} not sampled: {Reason}", failure.ItemId, failure.Reason);
                var written = await CandidateWriter.WriteAsync(db, m.IterationId, result.Candidates, token);
                logger.LogInformation("Batch {Ordinal}: {Written} candidates written for {Items} items", m.Ordinal, written, load.Loaded.Count - result.Failed.Count);
            }
        }

        if (movedBack) await FailureWriter.ForgetAsync(db, m.IterationId, WorkStages.Sample, m.ItemIds.Except(failedNow.Select(f => f.ItemId)), token);
        var candidateCount = await db.Candidates.CountAsync(c => c.IterationId == m.IterationId && m.ItemIds.Contains(c.ItemId), token);
        var failedCount = await db.WorkFailures.CountAsync(f => f.IterationId == m.IterationId && f.Stage == WorkStages.Sample && m.ItemIds.Contains(f.ItemId), token);
        await context.Publish(new BatchSampled(m.RunId, m.IterationId, m.BatchId, candidateCount, failedCount), token);
    }
}
