using VisRL.Imaging.Geometry;

namespace VisRL.Modeling.Tests;

public sealed class EvaluatorTests
{
    private static readonly Box Gt = new(0.1, 0.1, 0.3, 0.3);

    [Fact]
    public void ScoresAnswersByNormalizedMatchAndBoxesByIouAboveHalf()
    {
        var items = new List<EvalItem>
        {
            new("a", "K", Gt, " k. ", "[0.100, 0.100, 0.300, 0.300]"), // right, hit
            new("a", "K", Gt, "X", "[0.100, 0.100, 0.300, 0.190]"),    // wrong, IoU 0.45: miss
            new("b", "7", Gt, "7", "no box here"),                      // right, unparseable: miss
            new("b", "7", Gt, "1", "[0.110, 0.110, 0.300, 0.300]"),    // wrong, hit
        };
        var report = Evaluator.Score(Evaluator.Cot, items);
        Assert.Equal(0.5, report.Overall.AnswerAccuracy);
        Assert.Equal(0.5, report.Overall.DetectionAccuracy);
        Assert.Equal(["a", "b"], report.Families.Select(f => f.Group));
        Assert.Equal(0.5, report.Families[0].AnswerAccuracy);
        Assert.Equal(0.5, report.Families[0].DetectionAccuracy);
        Assert.Equal(0.5, report.Families[1].DetectionAccuracy);
        Assert.Null(Evaluator.Score(Evaluator.NoCot, [new("a", "K", Gt, "K", null)]).Overall.DetectionAccuracy);
        Assert.Equal([new(0, "a", true, true), new(1, "a", false, false), new(2, "b", true, false), new ItemOutcome(3, "b", false, true)], report.Items);
        Assert.Null(Evaluator.Score(Evaluator.NoCot, [new("a", "K", Gt, "K", null)]).Items[0].DetectionHit);
    }

    [Fact]
    public void APairedDifferenceCountsTheItemsThatChangedAndBoundsTheMeanChange()
    {
        // 10 items: 3 gained, 1 lost, 6 unchanged. d = (1,1,1,−1,0,…): mean 0.2, sample variance
        // (4 − 10·0.04)/9 = 0.4, standard error √(0.4/10) = 0.2, half-width 1.96 × 0.2 = 0.392.
        bool[] before = [false, false, false, true, true, true, false, false, true, true];
        bool[] after = [true, true, true, false, true, true, false, false, true, true];
        var d = PairedDifference.Of(before, after);
        Assert.Equal((10, 3, 1), (d.Items, d.Gained, d.Lost));
        Assert.Equal(0.2, d.Delta, 12);
        Assert.Equal(0.2 - 0.391993, d.Low, 6);
        Assert.Equal(0.2 + 0.391993, d.High, 6);
        Assert.False(d.Significant);

        // 30 gained, none lost on 100 items: the interval lies above 0.
        var clear = PairedDifference.Of([.. Enumerable.Repeat(false, 100)], [.. Enumerable.Range(0, 100).Select(i => i < 30)]);
        Assert.True(clear.Significant && clear.Low > 0.2, $"{clear}");
        // The same outcomes: no change, a zero-width interval at 0.
        Assert.Equal(new PairedDifference(10, 0, 0, 0, 0, 0), PairedDifference.Of(before, before));
    }

    [Fact]
    public void APairedDifferenceRefusesOutcomesOfDifferentItems()
    {
        var error = Assert.Throws<ArgumentException>(() => PairedDifference.Of([true, false, true], [true, false]));
        Assert.Contains("3 before, 2 after", error.Message);
    }

    [Fact]
    public void OffTargetBoxesNeverTouchTheTarget()
    {
        var rng = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            var target = SyntheticData.Jitter(new Box(0.4, 0.4, 0.5, 0.52), rng, 0.5, 0.5, 2);
            Assert.Equal(0, BoxIou.Intersection(SyntheticData.OffTarget(target, rng), target));
        }
    }
}
