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
    /// A resumed job passes the pairs it started on (<paramref name="pinnedPairIds"/>) and gets exactly
    /// those, in that order: its planned steps, data order and stored reference depend on them, so one
    /// that can no longer be had fails the load, naming it, instead of the job going on with other pairs.
    /// </summary>
    public static async Task<PairSetPairs> LoadAsync(DatasetStorage storage, Guid pairSetId, IReadOnlyList<long>? pinnedPairIds, CancellationToken cancellationToken)
    {
        await using var db = storage.CreateDb();
        var iterationId = await db.PairSets.Where(s => s.Id == pairSetId).Select(s => (Guid?)s.IterationId).SingleOrDefaultAsync(cancellationToken)
            ?? throw new KeyNotFoundException($"pair set {pairSetId} does not exist");
        var rows = await db.Pairs.AsNoTracking().Where(p => p.PairSetId == pairSetId).OrderBy(p => p.ItemId).ThenBy(p => p.Ordinal)
            .Join(db.Candidates, p => p.ChosenCandidateId, c => c.Id, (p, chosen) => new { p.Id, p.ItemId, Chosen = chosen, p.RejectedCandidateId })
            .Join(db.Candidates, x => x.RejectedCandidateId, c => c.Id, (x, rejected) => new { x.Id, x.ItemId, x.Chosen, Rejected = rejected })
            .ToListAsync(cancellationToken);
        if (rows.Count == 0) throw new InvalidOperationException($"pair set {pairSetId} holds no pairs: there is nothing to learn from");
        if (pinnedPairIds is not null)
        {
            var byId = rows.ToDictionary(r => r.Id);
            var gone = pinnedPairIds.Where(id => !byId.ContainsKey(id)).ToList();
            if (gone.Count > 0)
                throw new InvalidOperationException($"pair set {pairSetId} no longer holds pair(s) {string.Join(", ", gone)} that the job started on: it cannot go on with other pairs");
            rows = [.. pinnedPairIds.Select(id => byId[id])];
        }

        var load = await ItemLoader.LoadAsync(storage, [.. rows.Select(r => r.ItemId).Distinct()], cancellationToken);
        await FailureWriter.WriteAsync(db, iterationId, WorkStages.Train, load.Failed, cancellationToken);
        if (pinnedPairIds is not null && load.Failed.Count > 0)
            throw new InvalidOperationException($"pair set {pairSetId}: the job started on {pinnedPairIds.Count} pairs, and the image of {load.Failed.Count} of their items " +
                $"cannot be had now ({string.Join("; ", load.Failed.Select(f => $"item {f.ItemId}: {f.Reason}"))}): it cannot go on with other pairs");
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
