namespace VisRL.Modeling;

/// <summary>
/// Seeds derived from several numbers with SplitMix64 — unlike <see cref="HashCode"/>, which is
/// randomized per process, the same inputs give the same seed in every process, which resuming a
/// run and regenerating a split rely on.
/// </summary>
public static class DeterministicSeed
{
    public static int Of(params long[] parts)
    {
        ulong state = 0x9E3779B97F4A7C15;
        foreach (long part in parts)
        {
            state ^= unchecked((ulong)part);
            state = Mix(state + 0x9E3779B97F4A7C15);
        }
        return (int)(state & int.MaxValue);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
