using Microsoft.EntityFrameworkCore;
using VisRL.Imaging;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data.Preview;

/// <summary>An item with its image from blob storage, rendered with its GT box and any further overlays (candidates later).</summary>
public sealed class ItemPreview(DatasetStorage storage)
{
    /// <exception cref="DatasetNotFoundException">No item with that id.</exception>
    public async Task<(Item Item, RgbImage Rendered)> RenderAsync(long itemId, IReadOnlyList<PreviewOverlay>? extra = null,
        CancellationToken cancellationToken = default)
    {
        Item item;
        await using (var db = storage.CreateDb())
        {
            item = await db.Items.AsNoTracking().SingleOrDefaultAsync(i => i.Id == itemId, cancellationToken)
                ?? throw new DatasetNotFoundException($"no item with id {itemId}");
        }
        var bytes = await storage.Blobs.GetAsync(storage.ImagesContainer, item.ImageBlobKey, cancellationToken);
        var image = ImageCodec.Decode(bytes, item.ImageBlobKey);
        var overlays = new List<PreviewOverlay>();
        if (item.GtBox() is { } gt) overlays.Add(PreviewOverlay.GroundTruth(gt));
        if (extra is not null) overlays.AddRange(extra);
        return (item, PreviewRenderer.Render(image, overlays));
    }
}
