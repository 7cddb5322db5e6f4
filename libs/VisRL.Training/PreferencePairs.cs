using Microsoft.EntityFrameworkCore;
using VisRL.Data;
using VisRL.Imaging.Geometry;
using VisRL.Modeling;

namespace VisRL.Training;

/// <summary>
/// A pair set's win/lose candidates as DPO pairs, with their items' images from blob storage. The
/// hidden GT box is never read: after SFT, training sees only the policy's own boxes and the critic's
/// preferences.
/// </summary>
public static class PreferencePairs
{
    /// <summary>The pair set's pairs in (item, ordinal) order, with their row ids in the same order.</summary>
    public static async Task<(IReadOnlyList<long> Ids, IReadOnlyList<PreferencePair> Pairs)> LoadAsync(DatasetStorage storage, Guid pairSetId, CancellationToken cancellationToken)
    {
        await using var db = storage.CreateDb();
        if (!await db.PairSets.AnyAsync(s => s.Id == pairSetId, cancellationToken))
            throw new KeyNotFoundException($"pair set {pairSetId} does not exist");
        var rows = await db.Pairs.AsNoTracking().Where(p => p.PairSetId == pairSetId).OrderBy(p => p.ItemId).ThenBy(p => p.Ordinal)
            .Join(db.Candidates, p => p.ChosenCandidateId, c => c.Id, (p, chosen) => new { p.Id, p.ItemId, Chosen = chosen, p.RejectedCandidateId })
            .Join(db.Candidates, x => x.RejectedCandidateId, c => c.Id, (x, rejected) => new { x.Id, x.ItemId, x.Chosen, Rejected = rejected })
            .ToListAsync(cancellationToken);
        if (rows.Count == 0) throw new InvalidOperationException($"pair set {pairSetId} holds no pairs: there is nothing to learn from");
        var items = (await StoredItems.LoadByIdAsync(storage, [.. rows.Select(r => r.ItemId).Distinct()], cancellationToken)).ToDictionary(i => i.Row.Id);
        return ([.. rows.Select(r => r.Id)], [.. rows.Select(r => new PreferencePair(items[r.ItemId].Image, items[r.ItemId].Row.Question,
            BoxOf(r.Chosen), BoxOf(r.Rejected), r.Chosen.Answer, r.Rejected.Answer))]);
    }

    private static Box BoxOf(VisRL.Platform.Persistence.Entities.Candidate c) =>
        c.ParsedBox() ?? throw new InvalidOperationException($"candidate {c.Id} (item {c.ItemId}) is in a pair but has no box: {c.BoxParseError}");
}
