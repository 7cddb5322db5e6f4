using Microsoft.EntityFrameworkCore;
using VisRL.Imaging;
using VisRL.Platform.Blobs;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data;

/// <summary>
/// Items with their images, one at a time in spirit: a missing row, a missing or damaged blob, or an
/// image that does not decode fails that item only, with the reason, and the rest load.
/// </summary>
public static class ItemLoader
{
    public static async Task<ItemLoad> LoadAsync(DatasetStorage storage, IReadOnlyCollection<long> itemIds, CancellationToken cancellationToken = default)
    {
        List<Item> rows;
        await using (var db = storage.CreateDb())
            rows = await db.Items.AsNoTracking().Where(i => itemIds.Contains(i.Id)).ToListAsync(cancellationToken);
        var byId = rows.ToDictionary(r => r.Id);
        var ordered = itemIds.Distinct().ToList();
        var loaded = new StoredItem?[ordered.Count];
        var reasons = new string?[ordered.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, ordered.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                if (!byId.TryGetValue(ordered[i], out var row)) { reasons[i] = $"no item with id {ordered[i]}"; return; }
                try
                {
                    var bytes = await storage.Blobs.GetAsync(storage.ImagesContainer, row.ImageBlobKey, token);
                    loaded[i] = new StoredItem(row, ImageCodec.Decode(bytes, row.ImageBlobKey));
                }
                catch (Exception e) when (e is ImageDecodeException or BlobMissingException or BlobIntegrityException)
                {
                    reasons[i] = e is ImageDecodeException ? e.Message : $"{row.ImageBlobKey}: {e.Message}";
                }
            });
        return new ItemLoad(
            [.. loaded.OfType<StoredItem>()],
            [.. ordered.Select((id, i) => (id, reason: reasons[i])).Where(x => x.reason is not null).Select(x => new ItemLoadFailure(x.id, x.reason!))]);
    }
}
