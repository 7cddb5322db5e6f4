using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using VisRL.Contracts.V1;
using VisRL.Method.Filtering;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Filter;

/// <summary>
/// Applies the pair rule (VisRL.Method's <see cref="PairFilter"/>) to every item of a round, using
/// the scores of the round's judge (iterations.judge_id) of the candidates with a box, and stores the result as one pair set. (iteration, name) is
/// unique, so a second build of the same set returns the first one unchanged.
/// </summary>
public sealed class PairSetBuilder(VisRLDbContext db)
{
    public const string DefaultName = "default";

    public async Task<PairSet> BuildAsync(Guid iterationId, FilterThresholds thresholds, CancellationToken cancellationToken, string name = DefaultName)
    {
        var existing = await db.PairSets.AsNoTracking().SingleOrDefaultAsync(p => p.IterationId == iterationId && p.Name == name, cancellationToken);
        if (existing is not null) return existing;

        var iteration = await db.Iterations.AsNoTracking().SingleOrDefaultAsync(i => i.Id == iterationId, cancellationToken)
            ?? throw new InvalidOperationException($"iteration {iterationId} does not exist");
        var options = new PairFilterOptions
        {
            MaxAnswerThreshold = thresholds.MaxAnswer, MinAnswerThreshold = thresholds.MinAnswer,
            MaxBoxThreshold = thresholds.MaxBox, MinBoxThreshold = thresholds.MinBox,
            UseBoxCritic = thresholds.UseBoxCritic, PairsPerItem = thresholds.PairsPerItem,
        };
        options.Validate();

        var candidates = await (
                from c in db.Candidates.AsNoTracking().Where(c => c.IterationId == iterationId)
                join s in db.Scores.AsNoTracking().Where(s => s.JudgeId == iteration.JudgeId) on c.Id equals s.CandidateId into scores
                from s in scores.DefaultIfEmpty()
                // A candidate whose box did not parse cannot be in a pair (both DPO stages train on the box),
                // so it counts as unscored: with the box critic off its s_r alone would let it lose.
                select new { c.ItemId, c.Id, AnswerScore = s == null || c.X1 == null ? null : s.AnswerScore, BoxScore = s == null ? null : s.BoxScore })
            .ToListAsync(cancellationToken);

        var set = new PairSet
        {
            Id = Guid.NewGuid(), IterationId = iterationId, Name = name, CreatedAt = DateTimeOffset.UtcNow,
            ThresholdsJson = JsonSerializer.Serialize(thresholds, JsonSerializerOptions.Web),
        };
        var pairs = new List<Pair>();
        foreach (var item in candidates.GroupBy(c => c.ItemId).OrderBy(g => g.Key))
        {
            var decision = PairFilter.Apply(item.Select(c => new ScoredCandidate(c.Id, c.AnswerScore, c.BoxScore)).ToList(), options);
            pairs.AddRange(decision.Pairs.Select(p => new Pair
            {
                PairSetId = set.Id, ItemId = item.Key, Ordinal = p.Ordinal, ChosenCandidateId = p.ChosenCandidateId, RejectedCandidateId = p.RejectedCandidateId,
            }));
            set.ItemCount++;
        }
        set.PairCount = pairs.Count;

        db.PairSets.Add(set);
        db.Pairs.AddRange(pairs);
        try
        {
            await db.SaveChangesAsync(cancellationToken); // one transaction: the set and its pairs, or nothing
            return set;
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            db.ChangeTracker.Clear(); // a concurrent build won; its set is the round's
            return await db.PairSets.AsNoTracking().SingleAsync(p => p.IterationId == iterationId && p.Name == name, cancellationToken);
        }
    }
}
