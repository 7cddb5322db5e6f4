using System.Security.Cryptography;
using System.Text;

namespace VisRL.Platform.Identity;

/// <summary>
/// Ids that are a pure function of their parent and purpose (e.g. an iteration's stage-1 job), so
/// a transition replayed after a redelivery sends the very same command, and its consumer's
/// idempotency does the rest.
/// </summary>
public static class DerivedIds
{
    public static Guid For(Guid parent, string purpose)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{parent:N}/{purpose}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5-style: name-based
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true); // RFC 4122 byte order, so the version and variant land where they belong
    }
}
