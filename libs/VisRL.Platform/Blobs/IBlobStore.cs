namespace VisRL.Platform.Blobs;

/// <summary>
/// Images, checkpoints and exports in blob storage. Every blob carries the SHA-256 of its content
/// in its metadata; reads verify it, so a damaged or swapped blob is an error, not silent garbage.
/// </summary>
public interface IBlobStore
{
    Task<BlobRef> PutAsync(string container, string key, ReadOnlyMemory<byte> content, string contentType,
        CancellationToken cancellationToken = default);

    Task<BlobRef> PutFileAsync(string container, string key, string path, string contentType,
        CancellationToken cancellationToken = default);

    /// <exception cref="BlobMissingException">No blob under that key.</exception>
    /// <exception cref="BlobIntegrityException">The content does not match its recorded hash.</exception>
    Task<byte[]> GetAsync(string container, string key, CancellationToken cancellationToken = default);

    Task DownloadToFileAsync(string container, string key, string path, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(string container, string key, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<string>> ListAsync(string container, string prefix, CancellationToken cancellationToken = default);

    /// <summary>Creates the configured containers (private) when missing.</summary>
    Task EnsureContainersAsync(CancellationToken cancellationToken = default);
}
