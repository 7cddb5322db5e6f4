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
    /// <exception cref="InvalidDataException">An item's image is missing or does not decode.</exception>
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
        return Every(await ItemLoader.ImagesAsync(storage, rows, cancellationToken));
    }

    /// <summary>Items by id, in the order given.</summary>
    /// <exception cref="DatasetNotFoundException">An id names no item.</exception>
    /// <exception cref="InvalidDataException">An item's image is missing or does not decode.</exception>
    public static async Task<IReadOnlyList<StoredItem>> LoadByIdAsync(DatasetStorage storage, IReadOnlyCollection<long> itemIds,
        CancellationToken cancellationToken = default)
    {
        var load = await ItemLoader.LoadAsync(storage, itemIds, cancellationToken);
        if (load.Failed.FirstOrDefault(f => f.RowMissing) is { } missing)
            throw new DatasetNotFoundException(missing.Reason);
        return Every(load);
    }

    /// <summary>Where every item is needed (a training split, one item to generate for): all of them, or an error naming each one that failed.</summary>
    private static IReadOnlyList<StoredItem> Every(ItemLoad load) => load.Failed.Count == 0 ? load.Loaded
        : throw new InvalidDataException($"{load.Failed.Count} item(s) cannot be loaded: "
            + string.Join("; ", load.Failed.Take(5).Select(f => $"item {f.ItemId}: {f.Reason}")) + (load.Failed.Count > 5 ? "; …" : ""));
}
