using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.DataGeneration;

/// <summary>
/// Inserts the candidates whose (iteration, item, attempt, kind) is not stored yet, so a redelivered
/// batch, or one that two replicas run at once, duplicates nothing (<see cref="MissingRows"/>).
/// </summary>
public static class CandidateWriter
{
    /// <returns>The number of rows inserted.</returns>
    public static Task<int> WriteAsync(VisRLDbContext db, Guid iterationId, IReadOnlyList<SampledCandidate> candidates, CancellationToken cancellationToken = default) =>
        db.InsertMissingAsync(async ct =>
        {
            var itemIds = candidates.Select(c => c.ItemId).Distinct().ToList();
            var existing = (await db.Candidates.AsNoTracking()
                    .Where(c => c.IterationId == iterationId && itemIds.Contains(c.ItemId))
                    .Select(c => new { c.ItemId, c.Attempt, c.Kind }).ToListAsync(ct))
                .Select(c => (c.ItemId, c.Attempt, c.Kind)).ToHashSet();
            var now = DateTimeOffset.UtcNow;
            return candidates.Where(c => !existing.Contains((c.ItemId, c.Attempt, c.Kind))).Select(c => new Candidate
            {
                IterationId = iterationId, ItemId = c.ItemId, Attempt = c.Attempt, Kind = c.Kind, BoxText = c.BoxText,
                X1 = (float?)c.Box?.X1, Y1 = (float?)c.Box?.Y1, X2 = (float?)c.Box?.X2, Y2 = (float?)c.Box?.Y2,
                BoxParseError = c.BoxParseError, Answer = c.Answer, BoxLogProb = c.BoxLogProb, AnswerLogProb = c.AnswerLogProb, CreatedAt = now,
            }).ToList();
        }, "ix_candidates_iteration_id_item_id_attempt_kind", cancellationToken);
}
