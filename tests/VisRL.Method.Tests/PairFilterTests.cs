using VisRL.Method.Filtering;

namespace VisRL.Method.Tests;

/// <summary>
/// The filter rule, as tables mirroring VisRL data_gen/filter.py. A candidate is written
/// "id:s_r/s_b" ("-" for a missing score); candidates are separated by spaces; pairs "chosen>rejected".
/// </summary>
public class PairFilterTests
{
    [Theory]
    // The reference's basic cases.
    [InlineData("1:1/0.9 2:0/0.1", FilterReason.Kept, "1>2")]
    [InlineData("1:0.5/0.9 2:0.5/0.1", FilterReason.AllEqual, "")]
    [InlineData("1:1/0.9 2:1/0.1 3:1/0.5", FilterReason.AllEqual, "")]
    [InlineData("1:0.7/0.9 2:0/0.1", FilterReason.MaxBelowThreshold, "")]
    [InlineData("1:1/0.9 2:0.3/0.1", FilterReason.MinAboveThreshold, "")]
    [InlineData("1:1/0.7 2:0/0.1", FilterReason.NoWinner, "")]
    [InlineData("1:1/0.9 2:0/0.3", FilterReason.NoLoser, "")]
    [InlineData("1:1/0.5 2:0/0.5", FilterReason.NoWinnerNorLoser, "")]
    // Thresholds at the boundaries: ≥ T_max and ≤ T_min are inclusive, as in the reference.
    [InlineData("1:0.8/0.8 2:0.2/0.2", FilterReason.Kept, "1>2")]
    [InlineData("1:0.79/0.8 2:0.2/0.2", FilterReason.MaxBelowThreshold, "")]
    [InlineData("1:0.8/0.8 2:0.21/0.2", FilterReason.MinAboveThreshold, "")]
    [InlineData("1:0.8/0.79 2:0.2/0.2", FilterReason.NoWinner, "")]
    [InlineData("1:0.8/0.8 2:0.2/0.21", FilterReason.NoLoser, "")]
    // Only candidates with the max (min) s_r may win (lose): a 0.9 with a great crop is no winner beside a 1.0.
    [InlineData("1:1/0.5 2:0.9/1 3:0/0", FilterReason.NoWinner, "")]
    [InlineData("1:1/1 2:0.1/0 3:0/0.5", FilterReason.NoLoser, "")]
    // Missing scores: the candidate is ignored before max/min are taken.
    [InlineData("1:1/0.9 2:-/0.1 3:0/0.1", FilterReason.Kept, "1>3")]
    [InlineData("1:1/0.9 2:0/- 3:0.5/0.1", FilterReason.MinAboveThreshold, "")]
    [InlineData("1:-/- 2:-/0.1", FilterReason.NoScoredCandidates, "")]
    [InlineData("", FilterReason.NoScoredCandidates, "")]
    // Invalid scores count as missing.
    [InlineData("1:1/0.9 2:-0.5/0.1 3:0/1.7 4:0/0.2", FilterReason.Kept, "1>4")]
    [InlineData("1:NaN/0.9 2:0/0.1", FilterReason.AllEqual, "")] // 1 is ignored; 2 alone has max == min
    // Ties: winners by s_b descending, losers by s_b ascending, then by candidate id.
    [InlineData("1:1/0.8 2:1/0.95 3:0/0.2 4:0/0.05", FilterReason.Kept, "2>4")]
    [InlineData("5:1/0.9 3:1/0.9 7:0/0.1 6:0/0.1", FilterReason.Kept, "3>6")]
    public void TheRuleWithTheBoxCritic(string candidates, FilterReason reason, string pairs)
    {
        var decision = PairFilter.Apply(Parse(candidates));
        Assert.Equal(reason, decision.Reason);
        Assert.Equal(pairs, Format(decision.Pairs));
    }

    [Theory]
    // Off: s_b is neither required nor tested; ties go to the lowest candidate id.
    [InlineData("1:1/0.1 2:0/0.9", FilterReason.Kept, "1>2")]
    [InlineData("1:1/- 2:0/-", FilterReason.Kept, "1>2")]
    [InlineData("3:1/0.99 1:1/0 4:0/0 2:0/1", FilterReason.Kept, "1>2")]
    [InlineData("1:0.5/- 2:0.5/-", FilterReason.AllEqual, "")]
    [InlineData("1:-/1 2:-/0", FilterReason.NoScoredCandidates, "")]
    public void TheRuleWithoutTheBoxCritic(string candidates, FilterReason reason, string pairs)
    {
        var decision = PairFilter.Apply(Parse(candidates), new PairFilterOptions { UseBoxCritic = false });
        Assert.Equal(reason, decision.Reason);
        Assert.Equal(pairs, Format(decision.Pairs));
    }

    [Theory]
    // Distinct (winner, loser) combinations in diagonal order of rank: (w0,l0), (w0,l1), (w1,l0), (w0,l2), (w1,l1), …
    [InlineData(1, "1>4")]
    [InlineData(2, "1>4 1>5")]
    [InlineData(3, "1>4 1>5 2>4")]
    [InlineData(4, "1>4 1>5 2>4 1>6")]
    [InlineData(6, "1>4 1>5 2>4 1>6 2>5 2>6")]
    [InlineData(10, "1>4 1>5 2>4 1>6 2>5 2>6")]
    public void MorePairsPerItemAreDistinctCombinationsInADeterministicOrder(int pairsPerItem, string pairs)
    {
        // Winners 1 (s_b 0.95), 2 (0.9); losers 4 (0), 5 (0.1), 6 (0.2); 3 is in between.
        var candidates = Parse("2:1/0.9 6:0/0.2 3:0.5/0.5 5:0/0.1 1:1/0.95 4:0/0");
        var decision = PairFilter.Apply(candidates, new PairFilterOptions { PairsPerItem = pairsPerItem });
        Assert.Equal(pairs, Format(decision.Pairs));
        Assert.Equal(Enumerable.Range(0, decision.Pairs.Count), decision.Pairs.Select(p => p.Ordinal));
    }

    [Fact]
    public void ThresholdsAreParameters()
    {
        var candidates = Parse("1:0.6/0.7 2:0.4/0.3");
        Assert.Equal(FilterReason.MaxBelowThreshold, PairFilter.Apply(candidates).Reason);
        var loose = new PairFilterOptions { MaxAnswerThreshold = 0.6, MinAnswerThreshold = 0.4, MaxBoxThreshold = 0.7, MinBoxThreshold = 0.3 };
        Assert.Equal("1>2", Format(PairFilter.Apply(candidates, loose).Pairs));
    }

    [Fact]
    public void TheDecisionCountsIgnoredCandidatesAndDescribesItsReason()
    {
        var decision = PairFilter.Apply(Parse("1:1/0.7 2:-/0.1 3:0/0.1 4:0/1.5"));
        Assert.False(decision.Kept);
        Assert.Equal("no winner with s_b ≥ 0.8", decision.Description);
        Assert.Equal(2, decision.UsedCandidates);
        Assert.Equal(2, decision.IgnoredCandidates);
        Assert.Equal(1, decision.MaxAnswerScore);
        Assert.Equal(0, decision.MinAnswerScore);
        Assert.Equal("all equal", PairFilter.Describe(FilterReason.AllEqual));
        Assert.Equal("min s_r > 0.3", PairFilter.Describe(FilterReason.MinAboveThreshold, new PairFilterOptions { MinAnswerThreshold = 0.3 }));
    }

    [Fact]
    public void TheInputOrderDoesNotChangeThePairs()
    {
        var candidates = Parse("1:1/0.9 2:1/0.9 3:0/0.1 4:0/0.1 5:1/0.85");
        var expected = Format(PairFilter.Apply(candidates, new PairFilterOptions { PairsPerItem = 3 }).Pairs);
        Assert.Equal("1>3 1>4 2>3", expected);
        var reversed = Enumerable.Reverse(candidates).ToList();
        Assert.Equal(expected, Format(PairFilter.Apply(reversed, new PairFilterOptions { PairsPerItem = 3 }).Pairs));
    }

    [Theory]
    [InlineData(1.1, 0.2, 0.8, 0.2)]
    [InlineData(0.8, -0.1, 0.8, 0.2)]
    [InlineData(0.8, 0.2, double.NaN, 0.2)]
    public void ThresholdsOutsideTheUnitIntervalAreRejected(double maxR, double minR, double maxB, double minB)
    {
        var options = new PairFilterOptions { MaxAnswerThreshold = maxR, MinAnswerThreshold = minR, MaxBoxThreshold = maxB, MinBoxThreshold = minB };
        Assert.Throws<ArgumentOutOfRangeException>(() => PairFilter.Apply([], options));
        Assert.Throws<ArgumentOutOfRangeException>(() => PairFilter.Apply([], new PairFilterOptions { PairsPerItem = 0 }));
    }

    private static List<ScoredCandidate> Parse(string table) =>
        table.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(entry =>
        {
            var (id, scores) = (entry[..entry.IndexOf(':')], entry[(entry.IndexOf(':') + 1)..]);
            var parts = scores.Split('/');
            return new ScoredCandidate(long.Parse(id), Score(parts[0]), Score(parts[1]));
        }).ToList();

    private static double? Score(string text) => text == "-" ? null : double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private static string Format(IEnumerable<PreferencePair> pairs) => string.Join(' ', pairs.Select(p => $"{p.ChosenCandidateId}>{p.RejectedCandidateId}"));
}
