namespace VisRL.Orchestrator.Rounds;

/// <summary>
/// How a round's items are cut into batches. With equal batches the replicas finish apart: whoever
/// takes the last batch runs it while the others idle. So the cut is guided (as in guided
/// self-scheduling): each batch takes a <c>taper</c>-th of the items still to plan, at most
/// <c>batchSize</c> and at least a <c>taper</c>-th of it (and 2). Full batches first, then ever smaller ones,
/// so the replicas end within a small batch of each other. A taper of 1 gives equal batches.
/// No batch holds a single item unless batchSize is 1 or the round has one item: a batch none of whose
/// requests an endpoint answered (timeouts, 5xx) counts as the endpoint being down (retried as a whole),
/// and one item's timeout is thin evidence of that.
/// </summary>
public static class BatchPlan
{
    /// <summary>The batch sizes, in dispatch order; they add up to <paramref name="items"/>.</summary>
    public static IReadOnlyList<int> Sizes(int items, int batchSize, int taper)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(items);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(taper, 1);
        int smallest = Math.Min(batchSize, Math.Max(2, CeilingDivide(batchSize, taper)));
        var sizes = new List<int>();
        for (int left = items; left > 0;)
        {
            int size = Math.Min(left, Math.Clamp(CeilingDivide(left, taper), smallest, batchSize));
            if (left - size == 1 && size < batchSize) size++; // no lone item left for a batch of its own
            sizes.Add(size);
            left -= size;
        }
        return sizes;
    }

    /// <summary><paramref name="items"/> cut by <see cref="Sizes"/>, in order.</summary>
    public static IReadOnlyList<T[]> Cut<T>(IReadOnlyList<T> items, int batchSize, int taper)
    {
        var batches = new List<T[]>();
        int start = 0;
        foreach (int size in Sizes(items.Count, batchSize, taper))
        {
            batches.Add([.. items.Skip(start).Take(size)]);
            start += size;
        }
        return batches;
    }

    private static int CeilingDivide(int a, int b) => (a + b - 1) / b;
}
