namespace VisRL.Modeling;

/// <summary>
/// How much a later model (after) beats an earlier one (before) on the same items, with a 95 %
/// interval from the per-item differences d = after − before ∈ {−1, 0, 1}: Delta ± 1.96·s(d)/√n.
/// Why paired: two checkpoints of one policy agree on most items, so only the items where they
/// differ carry information — on 300 items an unpaired interval would be about twice as wide.
/// </summary>
/// <param name="Gained">Items the later model gets right and the earlier one wrong.</param>
/// <param name="Lost">Items the earlier model gets right and the later one wrong.</param>
public sealed record PairedDifference(int Items, int Gained, int Lost, double Delta, double Low, double High)
{
    private const double Z95 = 1.959964;

    /// <summary>The interval excludes 0: the change is more than the items' noise.</summary>
    public bool Significant => Low > 0 || High < 0;

    public static PairedDifference Of(IReadOnlyList<bool> before, IReadOnlyList<bool> after)
    {
        if (before.Count != after.Count)
            throw new ArgumentException($"paired outcomes need the same items: {before.Count} before, {after.Count} after");
        if (before.Count < 2) throw new ArgumentException($"a paired interval needs at least 2 items, got {before.Count}");
        int n = before.Count;
        int gained = before.Zip(after).Count(x => !x.First && x.Second);
        int lost = before.Zip(after).Count(x => x.First && !x.Second);
        double mean = (gained - lost) / (double)n;
        // Sample variance of d: Σd² = gained + lost, Σd = n·mean.
        double variance = (gained + lost - n * mean * mean) / (n - 1);
        double half = Z95 * Math.Sqrt(variance / n);
        return new PairedDifference(n, gained, lost, mean, mean - half, mean + half);
    }
}
