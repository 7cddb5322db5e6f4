namespace VisRL.Platform.Blobs;

/// <summary>Where a blob lives and the SHA-256 of its content (lower-case hex).</summary>
public sealed record BlobRef(string Container, string Key, string Sha256, long Length);
