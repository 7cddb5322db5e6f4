namespace VisRL.Imaging.Synthetic;

/// <summary>SplitMix64 (Steele, Lea, Flood 2014): seeds and hashes (seed, index) pairs.</summary>
public static class SplitMix64
{
    public static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A well-mixed seed for item <paramref name="index"/> of a split made from <paramref name="seed"/>.</summary>
    public static ulong Derive(ulong seed, long index)
    {
        ulong state = seed ^ ((ulong)index * 0xD1B54A32D192ED03UL);
        Next(ref state);
        return Next(ref state);
    }
}
