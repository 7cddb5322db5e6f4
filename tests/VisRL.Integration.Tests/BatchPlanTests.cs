using VisRL.Orchestrator.Rounds;

namespace VisRL.Integration.Tests;

/// <summary>How a round is cut into batches (pure: nothing running).</summary>
public class BatchPlanTests
{
    [Theory]
    // left 96 … 32: ⌈left / 4⌉ ≥ 8, so full batches; then 24 → 6, 18 → 5, 13 → 4, 9 → 3, 6 → 2, and at least ⌈8 / 4⌉ = 2.
    [InlineData(96, 8, 4, new[] { 8, 8, 8, 8, 8, 8, 8, 8, 8, 6, 5, 4, 3, 2, 2, 2 })]
    [InlineData(20, 6, 4, new[] { 5, 4, 3, 2, 2, 2, 2 })]
    // At least 2 (a lone item's failure would read as the backend being down), and no lone item left at the end.
    [InlineData(7, 8, 4, new[] { 2, 2, 3 })]
    [InlineData(12, 3, 4, new[] { 3, 3, 2, 2, 2 })]
    [InlineData(9, 16, 4, new[] { 4, 5 })]
    [InlineData(20, 6, 1, new[] { 6, 6, 6, 2 })]
    [InlineData(4, 1, 4, new[] { 1, 1, 1, 1 })]
    [InlineData(1, 8, 4, new[] { 1 })]
    [InlineData(0, 8, 4, new int[0])]
    public void BatchesShrinkTowardTheEndOfTheRound(int items, int batchSize, int taper, int[] expected) =>
        Assert.Equal(expected, BatchPlan.Sizes(items, batchSize, taper));

    [Fact]
    public void ATaperOfOneCutsEqualBatches()
    {
        var ids = Enumerable.Range(100, 43).Select(i => (long)i).ToList();
        Assert.Equal(ids.Chunk(8).Select(c => c.ToList()), BatchPlan.Cut(ids, 8, 1).Select(c => c.ToList()));
    }

    [Theory]
    [InlineData(1000, 16, 4)]
    [InlineData(257, 8, 3)]
    [InlineData(33, 5, 8)]
    public void EveryItemIsInOneBatchInOrder(int items, int batchSize, int taper)
    {
        var ids = Enumerable.Range(0, items).Select(i => (long)i * 7).ToList();
        var batches = BatchPlan.Cut(ids, batchSize, taper);
        Assert.Equal(ids, batches.SelectMany(b => b));
        Assert.All(batches, b => Assert.InRange(b.Length, 2, batchSize));
        var sizes = batches.Select(b => b.Length).ToList();
        // Never growing, but for the last batch, which takes a lone leftover item.
        Assert.True(sizes.SkipLast(1).Zip(sizes.Skip(1).SkipLast(1)).All(p => p.First >= p.Second), $"sizes grow somewhere: {string.Join(",", sizes)}");
        Assert.True(sizes[^1] <= sizes[^2] + 1, $"the last batch is too large: {string.Join(",", sizes)}");
    }

    [Theory]
    [InlineData(-1, 8, 4, "items")]
    [InlineData(10, 0, 4, "batchSize")]
    [InlineData(10, 8, 0, "taper")]
    public void ABadArgumentIsRefused(int items, int batchSize, int taper, string name) =>
        Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(() => BatchPlan.Sizes(items, batchSize, taper)).ParamName);

    [Theory]
    [InlineData("""{"batchTaper":0}""", "batchTaper must be ≥ 1 (1 = equal batches), not 0")]
    [InlineData("""{"batchSize":0}""", "batchSize must be ≥ 1, not 0")]
    public void ABadRoundConfigIsRejectedNamingTheField(string json, string reason) =>
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => RoundConfig.Parse(json)).Message);

    [Fact]
    public void TheTaperIsRecordedWithTheRound() =>
        Assert.Equal(4, System.Text.Json.JsonDocument.Parse(RoundConfig.Parse("{}").ToJson()).RootElement.GetProperty("batchTaper").GetInt32());
}
