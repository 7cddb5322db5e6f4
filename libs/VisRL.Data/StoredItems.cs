using Microsoft.EntityFrameworkCore;
using VisRL.Imaging;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data;

/// <summary>An item row with its decoded image.</summary>
public sealed record StoredItem(Item Row, RgbImage Image);

/// <summary>Items of a dataset split with their images from blob storage, for training, evaluation and sampling.</summary>
public static class StoredItems
{
    /// <summary>The split's items in ordinal order (the first <paramref name="limit"/> when given), images fetched 4 at a time.</summary>
    /// <exception cref="DatasetNotFoundException">No such dataset, or the split is empty.</exception>
    public static async Task<IReadOnlyList<StoredItem>> LoadAsync(DatasetStorage storage, string dataset, string split, int? limit,
        CancellationToken cancellationToken = default)
    {
        List<Item> rows;
        await using (var db = storage.CreateDb())
        {
            var datasetId = await db.Datasets.Where(d => d.Name == dataset).Select(d => (Guid?)d.Id).SingleOrDefaultAsync(cancellationToken)
                ?? throw new DatasetNotFoundException($"dataset '{dataset}' does not exist");
            var query = db.Items.AsNoTracking().Where(i => i.DatasetId == datasetId && i.Split == split).OrderBy(i => i.Ordinal);
            rows = await (limit is { } n ? query.Take(n) : query).ToListAsync(cancellationToken);
        }
        if (rows.Count == 0) throw new DatasetNotFoundException($"dataset '{dataset}' has no items in split '{split}'");
        return await WithImagesAsync(storage, rows, cancellationToken);
    }

    /// <summary>Items by id, in the order given.</summary>
    public static async Task<IReadOnlyList<StoredItem>> LoadByIdAsync(DatasetStorage storage, IReadOnlyCollection<long> itemIds,
        CancellationToken cancellationToken = default)
    {
        List<Item> rows;
        await using (var db = storage.CreateDb())
            rows = await db.Items.AsNoTracking().Where(i => itemIds.Contains(i.Id)).ToListAsync(cancellationToken);
        var missing = itemIds.Except(rows.Select(r => r.Id)).ToList();
        if (missing.Count > 0) throw new DatasetNotFoundException($"no item with id {string.Join(", ", missing)}");
        var byId = rows.ToDictionary(r => r.Id);
        return await WithImagesAsync(storage, [.. itemIds.Select(id => byId[id])], cancellationToken);
    }

    private static async Task<IReadOnlyList<StoredItem>> WithImagesAsync(DatasetStorage storage, IReadOnlyList<Item> rows, CancellationToken cancellationToken)
    {
        var items = new StoredItem[rows.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, rows.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var bytes = await storage.Blobs.GetAsync(storage.ImagesContainer, rows[i].ImageBlobKey, token);
                items[i] = new StoredItem(rows[i], ImageCodec.Decode(bytes, rows[i].ImageBlobKey));
            });
        return items;
    }
}
