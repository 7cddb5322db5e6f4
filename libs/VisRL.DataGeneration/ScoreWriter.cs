using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.DataGeneration;

/// <summary>Inserts the scores whose (candidate, judge) is not stored yet; idempotent like <see cref="CandidateWriter"/>.</summary>
public static class ScoreWriter
{
    /// <returns>The number of rows inserted.</returns>
    public static Task<int> WriteAsync(VisRLDbContext db, string judgeId, IReadOnlyList<CriticResult> results, CancellationToken cancellationToken = default) =>
        db.InsertMissingAsync(async ct =>
        {
            var candidateIds = results.Select(r => r.CandidateId).Distinct().ToList();
            var existing = (await db.Scores.AsNoTracking()
                .Where(s => s.JudgeId == judgeId && candidateIds.Contains(s.CandidateId))
                .Select(s => s.CandidateId).ToListAsync(ct)).ToHashSet();
            var now = DateTimeOffset.UtcNow;
            return results.Where(r => existing.Add(r.CandidateId)).Select(r => new Score
            {
                CandidateId = r.CandidateId, JudgeId = judgeId, AnswerScore = r.AnswerScore, BoxScore = r.BoxScore, Error = r.Error, RawReply = r.RawReply, CreatedAt = now,
            }).ToList();
        }, "ix_scores_candidate_id_judge_id", cancellationToken);
}
