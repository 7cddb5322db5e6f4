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
}
