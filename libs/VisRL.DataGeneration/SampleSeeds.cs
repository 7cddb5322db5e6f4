using System.Security.Cryptography;
using System.Text;

namespace VisRL.DataGeneration;

/// <summary>
/// Seeds derived from (settings seed, item, attempt, purpose) by SHA-256, so a redelivered batch — on
/// any replica, in any batch composition — samples exactly the same candidates.
/// </summary>
public static class SampleSeeds
{
    /// <summary>A generation seed (the model's per-request <see cref="Random"/>).</summary>
    public static int For(int seed, long itemId, int attempt, string purpose) => (int)(Derive(seed, itemId, attempt, purpose) & int.MaxValue);

    /// <summary>A 64-bit seed (the diversity controller's PRNG).</summary>
    public static ulong Derive(int seed, long itemId, int attempt, string purpose)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}/{itemId}/{attempt}/{purpose}"), hash);
        return BitConverter.ToUInt64(hash[..8]);
    }
}
