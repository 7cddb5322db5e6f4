namespace VisRL.Benchmarks;

internal static class Statistics
{
    /// <summary>The middle value; the mean of the two middle values for an even count.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        int mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>
    /// Two variants timed in alternating rounds (first, then second, in each), after one warm-up run
    /// of each, so that drift in the machine's speed touches both alike; the median of each.
    /// </summary>
    public static (double First, double Second) AlternatingMedians(int rounds, Func<double> first, Func<double> second, Action<int>? onRound = null)
    {
        first();
        second();
        var (a, b) = (new List<double>(), new List<double>());
        for (int r = 0; r < rounds; r++)
        {
            onRound?.Invoke(r);
            a.Add(first());
            b.Add(second());
        }
        return (Median(a), Median(b));
    }
}
