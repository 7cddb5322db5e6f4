using Microsoft.EntityFrameworkCore;
using VisRL.Imaging;
using VisRL.Platform.Blobs;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data;

/// <summary>
/// Items with their images, one at a time in spirit: a missing row, a missing or damaged blob, or an
/// image that does not decode fails that item only, with the reason, and the rest load. Images are
/// fetched 4 at a time. An outage of the database or blob storage is not an item's failure: it is thrown.
/// </summary>
public static class ItemLoader
{
    /// <summary>Items by id, in the order given (each id once).</summary>
    public static async Task<ItemLoad> LoadAsync(DatasetStorage storage, IReadOnlyCollection<long> itemIds, CancellationToken cancellationToken = default)
    {
        List<Item> rows;
        await using (var db = storage.CreateDb())
            rows = await db.Items.AsNoTracking().Where(i => itemIds.Contains(i.Id)).ToListAsync(cancellationToken);
        var byId = rows.ToDictionary(r => r.Id);
        var position = itemIds.Distinct().Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var images = await ImagesAsync(storage, [.. position.Keys.Where(byId.ContainsKey).Select(id => byId[id])], cancellationToken);
        return new ItemLoad(images.Loaded,
            [.. position.Keys.Where(id => !byId.ContainsKey(id)).Select(id => new ItemLoadFailure(id, $"no item with id {id}") { RowMissing = true }).Concat(images.Failed)
                .OrderBy(f => position[f.ItemId])]);
    }

    /// <summary>The images of item rows, in the rows' order.</summary>
    public static async Task<ItemLoad> ImagesAsync(DatasetStorage storage, IReadOnlyList<Item> rows, CancellationToken cancellationToken = default)
    {
        var loaded = new StoredItem?[rows.Count];
        var reasons = new string?[rows.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, rows.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var row = rows[i];
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
            [.. rows.Select((row, i) => (row.Id, reason: reasons[i])).Where(x => x.reason is not null).Select(x => new ItemLoadFailure(x.Id, x.reason!))]);
    }
}
