using Microsoft.EntityFrameworkCore;
using VisRL.Data;
using VisRL.Imaging.Geometry;
using VisRL.Modeling;

namespace VisRL.Training;

/// <summary>A pair set's pairs ready for DPO, their row ids in the same order, and the items left out with the reason.</summary>
public sealed record PairSetPairs(IReadOnlyList<long> Ids, IReadOnlyList<PreferencePair> Pairs, IReadOnlyList<ItemLoadFailure> Skipped);

/// <summary>
/// A pair set's win/lose candidates as DPO pairs, with their items' images from blob storage. The
/// hidden GT box is never read: after SFT, training sees only the policy's own boxes and the critic's
/// preferences.
/// </summary>
public static class PreferencePairs
{
    /// <summary>
    /// The pair set's pairs in (item, ordinal) order. An item whose image cannot be had (its blob gone
    /// or damaged since it was sampled) costs its own pairs, not the stage: it is left out and recorded
    /// in work_failures (stage "train"); only a pair set with no pair left fails.
    /// </summary>
    public static async Task<PairSetPairs> LoadAsync(DatasetStorage storage, Guid pairSetId, CancellationToken cancellationToken)
    {
        await using var db = storage.CreateDb();
        var iterationId = await db.PairSets.Where(s => s.Id == pairSetId).Select(s => (Guid?)s.IterationId).SingleOrDefaultAsync(cancellationToken)
            ?? throw new KeyNotFoundException($"pair set {pairSetId} does not exist");
        var rows = await db.Pairs.AsNoTracking().Where(p => p.PairSetId == pairSetId).OrderBy(p => p.ItemId).ThenBy(p => p.Ordinal)
            .Join(db.Candidates, p => p.ChosenCandidateId, c => c.Id, (p, chosen) => new { p.Id, p.ItemId, Chosen = chosen, p.RejectedCandidateId })
            .Join(db.Candidates, x => x.RejectedCandidateId, c => c.Id, (x, rejected) => new { x.Id, x.ItemId, x.Chosen, Rejected = rejected })
            .ToListAsync(cancellationToken);
        if (rows.Count == 0) throw new InvalidOperationException($"pair set {pairSetId} holds no pairs: there is nothing to learn from");

        var load = await ItemLoader.LoadAsync(storage, [.. rows.Select(r => r.ItemId).Distinct()], cancellationToken);
        await FailureWriter.WriteAsync(db, iterationId, WorkStages.Train, load.Failed, cancellationToken);
        var items = load.Loaded.ToDictionary(i => i.Row.Id);
        var kept = rows.Where(r => items.ContainsKey(r.ItemId)).ToList();
        if (kept.Count == 0)
            throw new InvalidOperationException($"pair set {pairSetId}: no image of its {rows.Count} pairs' items can be loaded ({load.Failed[0].Reason}, …)");
        return new([.. kept.Select(r => r.Id)], [.. kept.Select(r => new PreferencePair(items[r.ItemId].Image, items[r.ItemId].Row.Question,
            BoxOf(r.Chosen), BoxOf(r.Rejected), r.Chosen.Answer, r.Rejected.Answer))], load.Failed);
    }

    private static Box BoxOf(VisRL.Platform.Persistence.Entities.Candidate c) =>
        c.ParsedBox() ?? throw new InvalidOperationException($"candidate {c.Id} (item {c.ItemId}) is in a pair but has no box: {c.BoxParseError}");
}
