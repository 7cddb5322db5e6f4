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
/// mended, and taken up as a batch of its own while its round still samples and scores: <see cref="MovedBackWork"/>); a
/// judge that cannot be found or loaded, or an endpoint that is down (EndpointDown), fails the batch (BatchFailed).
/// </summary>
public sealed class ScoreBatchConsumer(IDbContextFactory<VisRLDbContext> contexts, DatasetStorage storage, ModelBackends backends,
    ILogger<ScoreBatchConsumer> logger) : IConsumer<ScoreBatch>
{
    public async Task Consume(ConsumeContext<ScoreBatch> context)
    {
        var m = context.Message;
        var token = context.CancellationToken;
        await using var db = await contexts.CreateDbContextAsync(token);
        var movedBack = context.IsMovedBack();
        if (movedBack)
        {
            if (await context.TakeUpMovedBackAsync(db, m.IterationId, WorkStages.Score, m.ItemIds, logger) is not { } claim) return;
            m = m with { BatchId = claim.Id, Ordinal = claim.Ordinal, Attempt = claim.Attempts };
        }
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
            await FailAsync(context, m, e);
            return;
        }

        var scored = (await db.Scores.AsNoTracking().Where(s => s.JudgeId == judgeId && candidateIds.Contains(s.CandidateId))
            .Select(s => s.CandidateId).ToListAsync(token)).ToHashSet();
        var failedBefore = await FailureWriter.FailedBeforeAsync(db, m.IterationId, WorkStages.Score, m.ItemIds, movedBack, token);
        var todo = candidates.Where(c => !scored.Contains(c.Id) && !failedBefore.Contains(c.ItemId)).ToList();
        var failedNow = new List<ItemLoadFailure>();

        if (todo.Count > 0)
        {
            var load = await ItemLoader.LoadAsync(storage, [.. todo.Select(c => c.ItemId).Distinct()], token);
            failedNow.AddRange(load.Failed);
            await FailureWriter.WriteAsync(db, m.IterationId, WorkStages.Score, load.Failed, token);
            foreach (var failure in load.Failed) logger.LogWarning("Item {ItemId} skipped: {Reason}", failure.ItemId, failure.Reason);
            if (load.Failed.Count > 0)
                await context.QuarantineAsync(context.Message with { ItemIds = [.. load.Failed.Select(f => f.ItemId)] },
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
                    await FailAsync(context, m, e);
                    return;
                }
                // Items the judge endpoint could not score (after its retries) go to work_failures; not quarantined: the message was fine, the endpoint was not.
                failedNow.AddRange(scoring.Failed);
                await FailureWriter.WriteAsync(db, m.IterationId, WorkStages.Score, scoring.Failed, token);
                foreach (var failure in scoring.Failed) logger.LogWarning("Item {ItemId} not scored: {Reason}", failure.ItemId, failure.Reason);
                var written = await ScoreWriter.WriteAsync(db, judgeId, scoring.Results, token);
                logger.LogInformation("Batch {Ordinal}: {Written} scores written by judge {Judge}", m.Ordinal, written, judgeId.StartsWith("http:", StringComparison.Ordinal) ? judgeId : judgeId[..12]);
            }
        }

        if (movedBack) await FailureWriter.ForgetAsync(db, m.IterationId, WorkStages.Score, m.ItemIds.Except(failedNow.Select(f => f.ItemId)), token);
        var scoreCount = await db.Scores.CountAsync(s => s.JudgeId == judgeId && candidateIds.Contains(s.CandidateId), token);
        var failedCount = await db.WorkFailures.CountAsync(f => f.IterationId == m.IterationId && f.Stage == WorkStages.Score && m.ItemIds.Contains(f.ItemId), token);
        await context.Publish(new BatchScored(m.RunId, m.IterationId, m.BatchId, scoreCount, failedCount), token);
    }

    /// <summary>
    /// The judge could not be had: the batch fails (the Orchestrator retries it), or a moved-back part waits in _error
    /// again, its failures kept, and its claim <paramref name="m"/> ends with nothing new.
    /// </summary>
    private async Task FailAsync(ConsumeContext<ScoreBatch> context, ScoreBatch m, Exception e)
    {
        var reason = $"{ModelBackends.JudgeName(m)}: {e.Message}";
        logger.LogError("{Judge}: {Reason}", ModelBackends.JudgeName(m), e.Message);
        if (context.IsMovedBack())
        {
            await context.QuarantineAsync(context.Message, reason);
            await context.Publish(new BatchScored(m.RunId, m.IterationId, m.BatchId, 0, m.ItemIds.Count), context.CancellationToken);
        }
        else await context.Publish(new BatchFailed(m.RunId, m.IterationId, m.BatchId, WorkStages.Score, m.Attempt, reason), context.CancellationToken);
    }
}
