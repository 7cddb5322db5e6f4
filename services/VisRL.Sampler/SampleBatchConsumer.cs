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
/// item, to the _error queue for inspection; `visrl errors retry` brings it back once mended) and the rest go on. The policy is the command's backend
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
        await db.MarkBatchStartedAsync(m.BatchId, token);
        var done = await db.Candidates.AsNoTracking().Where(c => c.IterationId == m.IterationId && m.ItemIds.Contains(c.ItemId))
            .GroupBy(c => c.ItemId).Where(g => g.Count() >= perItem).Select(g => g.Key).ToListAsync(token);
        var failedBefore = await FailureWriter.FailedBeforeAsync(db, m.IterationId, WorkStages.Sample, m.ItemIds, context.IsMovedBack(), token);
        var todo = m.ItemIds.Except(done).Except(failedBefore).ToList();

        if (todo.Count > 0)
        {
            var load = await ItemLoader.LoadAsync(storage, todo, token);
            await FailureWriter.WriteAsync(db, m.IterationId, WorkStages.Sample, load.Failed, token);
            foreach (var failure in load.Failed) logger.LogWarning("Item {ItemId} skipped: {Reason}", failure.ItemId, failure.Reason);
            if (load.Failed.Count > 0)
                await context.QuarantineAsync(m with { ItemIds = [.. load.Failed.Select(f => f.ItemId)] },
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
                    logger.LogError("{Policy}: {Reason}", ModelBackends.PolicyName(m), e.Message);
                    await context.Publish(new BatchFailed(m.RunId, m.IterationId, m.BatchId, WorkStages.Sample, m.Attempt, $"{ModelBackends.PolicyName(m)}: {e.Message}"), token);
                    return;
                }
                foreach (var d in result.Candidates.Where(c => c.Diversity is not null).GroupBy(c => c.Diversity!.Outcome))
                    logger.LogDebug("Diversity controller: {Outcome} × {Count}", d.Key, d.Count());
                // Items the policy endpoint could not answer (after its retries) go to work_failures; not quarantined: the message was fine, the endpoint was not.
                await FailureWriter.WriteAsync(db, m.IterationId, WorkStages.Sample, result.Failed, token);
                foreach (var failure in result.Failed) logger.LogWarning("Item {ItemId} not sampled: {Reason}", failure.ItemId, failure.Reason);
                var written = await CandidateWriter.WriteAsync(db, m.IterationId, result.Candidates, token);
                logger.LogInformation("Batch {Ordinal}: {Written} candidates written for {Items} items", m.Ordinal, written, load.Loaded.Count - result.Failed.Count);
            }
        }

        var candidateCount = await db.Candidates.CountAsync(c => c.IterationId == m.IterationId && m.ItemIds.Contains(c.ItemId), token);
        var failedCount = await db.WorkFailures.CountAsync(f => f.IterationId == m.IterationId && f.Stage == WorkStages.Sample && m.ItemIds.Contains(f.ItemId), token);
        await context.Publish(new BatchSampled(m.RunId, m.IterationId, m.BatchId, candidateCount, failedCount), token);
    }
}
