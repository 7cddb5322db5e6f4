using System.Security.Cryptography;

namespace VisRL.Platform.Blobs;

/// <summary>SHA-256 as lower-case hex: the address of checkpoints and the check on every blob read.</summary>
public static class ContentHash
{
    public static string Of(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static async Task<string> OfFileAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
