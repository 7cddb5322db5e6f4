using VisRL.Platform.Blobs;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;

namespace VisRL.Data;

/// <summary>
/// Where datasets live: items in PostgreSQL (a fresh context per unit of work, so a long import
/// never holds one tracker), images and exports in blob storage.
/// </summary>
public sealed record DatasetStorage(Func<VisRLDbContext> CreateDb, IBlobStore Blobs, string ImagesContainer, string ExportsContainer)
{
    public static DatasetStorage Create(DatabaseOptions database, BlobOptions blobs) =>
        new(() => PersistenceExtensions.CreateVisRLDbContext(database), BlobExtensions.CreateStore(blobs), blobs.ImagesContainer, blobs.ExportsContainer);
}
