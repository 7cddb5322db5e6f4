using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using VisRL.Platform.Configuration;

namespace VisRL.Platform.Blobs;

internal sealed class AzureBlobStore(BlobServiceClient client, IOptions<BlobOptions> options) : IBlobStore
{
    private const string HashMetadataKey = "sha256";
    private const int SlowestLinkBytesPerSecond = 256 * 1024;
    private const int Concurrency = 2;

    /// <summary>
    /// Uploads go in pieces. Blobs:NetworkTimeoutSeconds bounds each request until its reply begins, its sending
    /// included, so a checkpoint sent in one request over a slow link was cut off on every try and taken for an outage.
    /// A piece is what a link of <see cref="SlowestLinkBytesPerSecond"/>, shared by <see cref="Concurrency"/> requests,
    /// carries in half the timeout (1.9 MiB at 30 s); smaller blobs, the images among them, still go in one request.
    /// Downloads need none: there the timeout bounds each read of the reply, not the whole.
    /// </summary>
    private StorageTransferOptions Pieces
    {
        get
        {
            var piece = Math.Clamp((long)options.Value.NetworkTimeoutSeconds * SlowestLinkBytesPerSecond / Concurrency / 2, 64 * 1024, 64 * 1024 * 1024);
            return new StorageTransferOptions { InitialTransferSize = piece, MaximumTransferSize = piece, MaximumConcurrency = Concurrency };
        }
    }

    public async Task<BlobRef> PutAsync(string container, string key, ReadOnlyMemory<byte> content, string contentType,
        CancellationToken cancellationToken = default)
    {
        var hash = ContentHash.Of(content.Span);
        var blob = client.GetBlobContainerClient(container).GetBlobClient(key);
        await blob.UploadAsync(BinaryData.FromBytes(content), new BlobUploadOptions
        {
            TransferOptions = Pieces,
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Metadata = new Dictionary<string, string> { [HashMetadataKey] = hash },
        }, cancellationToken);
        return new BlobRef(container, key, hash, content.Length);
    }

    public async Task<BlobRef> PutFileAsync(string container, string key, string path, string contentType,
        CancellationToken cancellationToken = default)
    {
        var hash = await ContentHash.OfFileAsync(path, cancellationToken);
        var blob = client.GetBlobContainerClient(container).GetBlobClient(key);
        await blob.UploadAsync(path, new BlobUploadOptions
        {
            TransferOptions = Pieces,
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Metadata = new Dictionary<string, string> { [HashMetadataKey] = hash },
        }, cancellationToken);
        return new BlobRef(container, key, hash, new FileInfo(path).Length);
    }

    public async Task<byte[]> GetAsync(string container, string key, CancellationToken cancellationToken = default)
    {
        var blob = client.GetBlobContainerClient(container).GetBlobClient(key);
        try
        {
            var result = await blob.DownloadContentAsync(cancellationToken);
            var bytes = result.Value.Content.ToArray();
            Verify(container, key, result.Value.Details.Metadata, ContentHash.Of(bytes));
            return bytes;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new BlobMissingException(container, key);
        }
    }

    public async Task DownloadToFileAsync(string container, string key, string path, CancellationToken cancellationToken = default)
    {
        var blob = client.GetBlobContainerClient(container).GetBlobClient(key);
        try
        {
            var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
            var partial = path + ".partial";
            await blob.DownloadToAsync(partial, cancellationToken);
            Verify(container, key, properties.Value.Metadata, await ContentHash.OfFileAsync(partial, cancellationToken));
            File.Move(partial, path, overwrite: true);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new BlobMissingException(container, key);
        }
    }

    public async Task<bool> ExistsAsync(string container, string key, CancellationToken cancellationToken = default) =>
        await client.GetBlobContainerClient(container).GetBlobClient(key).ExistsAsync(cancellationToken);

    public async Task<IReadOnlyList<string>> ListAsync(string container, string prefix, CancellationToken cancellationToken = default)
    {
        var names = new List<string>();
        await foreach (var item in client.GetBlobContainerClient(container).GetBlobsAsync(prefix: prefix, cancellationToken: cancellationToken))
            names.Add(item.Name);
        return names;
    }

    public async Task EnsureContainersAsync(CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        foreach (var name in new[] { o.ImagesContainer, o.CheckpointsContainer, o.ExportsContainer })
            await client.GetBlobContainerClient(name).CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
    }

    private static void Verify(string container, string key, IDictionary<string, string> metadata, string actual)
    {
        // A blob written by another tool has no recorded hash: nothing to compare against.
        if (metadata.TryGetValue(HashMetadataKey, out var expected) && expected != actual)
            throw new BlobIntegrityException(container, key, expected, actual);
    }
}
