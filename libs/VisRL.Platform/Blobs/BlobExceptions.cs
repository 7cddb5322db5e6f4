namespace VisRL.Platform.Blobs;

public sealed class BlobMissingException(string container, string key)
    : Exception($"Blob '{container}/{key}' does not exist.");

public sealed class BlobIntegrityException(string container, string key, string expected, string actual)
    : Exception($"Blob '{container}/{key}' is damaged: its content hashes to sha256:{actual}, but sha256:{expected} was recorded when it was written.");
