using MassTransit;
using Microsoft.EntityFrameworkCore;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.DataGeneration;
using VisRL.DataGeneration.Backends;
using VisRL.Modeling;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;

namespace VisRL.Critic;

/// <summary>
/// ScoreBatch → s_r and s_b for the batch's candidates not yet scored by this judge (JudgeId = the
/// judge checkpoint's content hash, or the endpoint's id for an HTTP judge) → BatchScored. An item whose
/// image cannot be loaded, or that the judge endpoint cannot score after its retries, goes to
/// work_failures (and, cut down to those items, to the _error queue; `visrl errors retry` brings it back once
/// mended); a judge that cannot be found or loaded, or an endpoint that is down (EndpointDown), fails the
/// batch (BatchFailed).
/// </summary>
public sealed class ScoreBatchConsumer(IDbContextFactory<VisRLDbContext> contexts, DatasetStorage storage, ModelBackends backends,
    ILogger<ScoreBatchConsumer> logger) : IConsumer<ScoreBatch>
{
    public async Task Consume(ConsumeContext<ScoreBatch> context)
    {
        var m = context.Message;
        var token = context.CancellationToken;
        await using var db = await contexts.CreateDbContextAsync(token);
        await db.MarkBatchStartedAsync(m.BatchId, token);
        var candidates = await db.Candidates.AsNoTracking().Where(c => c.IterationId == m.IterationId && m.ItemIds.Contains(c.ItemId)).ToListAsync(token);
        var candidateIds = candidates.Select(c => c.Id).ToList();

        string judgeId;
        try
        {
            judgeId = await backends.JudgeIdAsync(m, token);
        }
        catch (Exception e) when (e is KeyNotFoundException or CheckpointException or ArgumentException)
        {
            await FailAsync(context, e);
            return;
        }

        var scored = (await db.Scores.AsNoTracking().Where(s => s.JudgeId == judgeId && candidateIds.Contains(s.CandidateId))
            .Select(s => s.CandidateId).ToListAsync(token)).ToHashSet();
        var failedBefore = await FailureWriter.FailedBeforeAsync(db, m.IterationId, WorkStages.Score, m.ItemIds, context.IsMovedBack(), token);
        var todo = candidates.Where(c => !scored.Contains(c.Id) && !failedBefore.Contains(c.ItemId)).ToList();

        if (todo.Count > 0)
        {
            var load = await ItemLoader.LoadAsync(storage, [.. todo.Select(c => c.ItemId).Distinct()], token);
            await FailureWriter.WriteAsync(db, m.IterationId, WorkStages.Score, load.Failed, token);
            foreach (var failure in load.Failed) logger.LogWarning("Item {ItemId} skipped: {Reason}", failure.ItemId, failure.Reason);
            if (load.Failed.Count > 0)
                await context.QuarantineAsync(m with { ItemIds = [.. load.Failed.Select(f => f.ItemId)] },
                    string.Join("; ", load.Failed.Select(f => $"item {f.ItemId}: {f.Reason}")));
            var items = load.Loaded.ToDictionary(i => i.Row.Id);
            var inputs = todo.Where(c => items.ContainsKey(c.ItemId)).Select(c =>
            {
                var item = items[c.ItemId];
                return new CriticInput(c.Id, item.Image, item.Row.Question, item.Row.StandardAnswer, c.ParsedBox(), c.Answer, c.ItemId);
            }).ToList();
            if (inputs.Count > 0)
            {
                JudgeScoring scoring;
                try
                {
                    scoring = await backends.ScoreAsync(m, inputs, token);
                }
                catch (Exception e) when (e is KeyNotFoundException or CheckpointException or ArgumentException or BackendUnavailableException)
                {
                    await FailAsync(context, e);
                    return;
                }
                // Items the judge endpoint could not score (after its retries) go to work_failures; not quarantined: the message was fine, the endpoint was not.
                await FailureWriter.WriteAsync(db, m.IterationId, WorkStages.Score, scoring.Failed, token);
                foreach (var failure in scoring.Failed) logger.LogWarning("Item {ItemId} not scored: {Reason}", failure.ItemId, failure.Reason);
                var written = await ScoreWriter.WriteAsync(db, judgeId, scoring.Results, token);
                logger.LogInformation("Batch {Ordinal}: {Written} scores written by judge {Judge}", m.Ordinal, written, judgeId.StartsWith("http:", StringComparison.Ordinal) ? judgeId : judgeId[..12]);
            }
        }

        var scoreCount = await db.Scores.CountAsync(s => s.JudgeId == judgeId && candidateIds.Contains(s.CandidateId), token);
        var failedCount = await db.WorkFailures.CountAsync(f => f.IterationId == m.IterationId && f.Stage == WorkStages.Score && m.ItemIds.Contains(f.ItemId), token);
        await context.Publish(new BatchScored(m.RunId, m.IterationId, m.BatchId, scoreCount, failedCount), token);
    }

    private async Task FailAsync(ConsumeContext<ScoreBatch> context, Exception e)
    {
        var m = context.Message;
        logger.LogError("{Judge}: {Reason}", ModelBackends.JudgeName(m), e.Message);
        await context.Publish(new BatchFailed(m.RunId, m.IterationId, m.BatchId, WorkStages.Score, m.Attempt, $"{ModelBackends.JudgeName(m)}: {e.Message}"), context.CancellationToken);
    }
}
