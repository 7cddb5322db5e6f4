using VisRL.Imaging.Geometry;
using VisRL.Method.Diversity;

namespace VisRL.Method.Tests;

public class DiversityControllerTests
{
    private static readonly Box Center = new(0.4, 0.4, 0.6, 0.6);

    [Theory]
    [InlineData(0, 0.3)]
    [InlineData(19, 0.3)]
    [InlineData(20, 0.4)]
    [InlineData(39, 0.4)]
    [InlineData(40, 0.5)]
    [InlineData(99, 0.7)]
    public void TheMarginWidensByATenthEveryTwentyTries(int tryIndex, double margin) =>
        Assert.Equal(margin, DiversityController.MarginAt(tryIndex), 12);

    [Theory]
    [InlineData(0.7, 0.7, 0.9, 0.9)]   // disjoint: IoU 0
    [InlineData(0.0, 0.0, 0.4, 0.4)]   // touching corner: IoU 0
    [InlineData(0.59, 0.4, 0.79, 0.6)] // inter 0.01·0.2 = 0.002, union 0.078: IoU ≈ 0.026
    public void ASecondSampleWithIouAtMostTheThresholdIsKept(double x1, double y1, double x2, double y2)
    {
        var second = new Box(x1, y1, x2, y2);
        var choice = DiversityController.Choose(Center, second, seed: 1);
        Assert.Equal(DiversityOutcome.Kept, choice.Outcome);
        Assert.Equal(second, choice.Box);
        Assert.Equal(0, choice.Tries);
        Assert.Equal(BoxIou.Iou(second, Center), choice.SampledIou);
    }

    [Fact]
    public void TheThresholdIsInclusiveForKeeping()
    {
        // IoU exactly 0.05 against the full image is kept; 0.06 is replaced (and no box fits beside the full image).
        Assert.Equal(DiversityOutcome.Kept, DiversityController.Choose(Box.Full, new Box(0, 0, 0.05, 1), 1).Outcome);
        Assert.Equal(DiversityOutcome.Infeasible, DiversityController.Choose(Box.Full, new Box(0, 0, 0.06, 1), 1).Outcome);
    }

    [Theory]
    [InlineData(0.4, 0.4, 0.6, 0.6)]
    [InlineData(0.1, 0.1, 0.4, 0.3)]
    [InlineData(0.0, 0.0, 0.5, 0.5)]
    [InlineData(0.7, 0.2, 0.95, 0.9)]
    public void AnOverlappingSampleIsReplacedByADisjointBoxOfSimilarSizeInsideTheImage(double x1, double y1, double x2, double y2)
    {
        var first = new Box(x1, y1, x2, y2);
        for (ulong seed = 0; seed < 200; seed++)
        {
            var choice = DiversityController.Choose(first, first, seed);
            Assert.Equal(DiversityOutcome.Replaced, choice.Outcome);
            var box = choice.Box!.Value;
            Assert.Equal(0, BoxIou.Intersection(box, first));
            Assert.Equal(0, BoxIou.Iou(box, first));
            AssertInside(box);
            Assert.InRange(choice.Tries, 1, 100);
            Assert.Equal(DiversityController.MarginAt(choice.Tries - 1), choice.Margin, 12);
            AssertWithinMargin(box.Width, first.Width, choice.Margin);
            AssertWithinMargin(box.Height, first.Height, choice.Margin);
        }
    }

    [Fact]
    public void TheMarginWidensWhenNoBoxOfTheFirstBoxSizeFits()
    {
        // The first box is 0.5 wide and full height, leaving free strips 0.25 wide on each side.
        // ±30 % needs w ≥ 0.35 and ±40 % needs w ≥ 0.3: impossible, so no try before the 41st can fit
        // (±50 % would need w = 0.25 exactly); the fitting box was drawn at a widened margin.
        var first = new Box(0.25, 0, 0.75, 1);
        var options = new DiversityOptions { MaxTries = 2000 };
        for (ulong seed = 0; seed < 20; seed++)
        {
            var choice = DiversityController.Choose(first, first, seed, options);
            Assert.Equal(DiversityOutcome.Replaced, choice.Outcome);
            Assert.True(choice.Tries > 40, $"seed {seed}: fitted at try {choice.Tries}");
            Assert.True(choice.Margin >= 0.5 - 1e-12);
            Assert.Equal(DiversityController.MarginAt(choice.Tries - 1, options), choice.Margin, 12);
            var box = choice.Box!.Value;
            Assert.Equal(0, BoxIou.Intersection(box, first));
            AssertInside(box);
            AssertWithinMargin(box.Width, first.Width, choice.Margin);
        }
    }

    [Fact]
    public void TheSameSeedGivesTheSameBoxAndOtherSeedsOthers()
    {
        var a = DiversityController.Choose(Center, Center, 42);
        var b = DiversityController.Choose(Center, Center, 42);
        Assert.Equal(a, b);
        var boxes = Enumerable.Range(0, 50).Select(s => DiversityController.Choose(Center, Center, (ulong)s).Box).Distinct().Count();
        Assert.Equal(50, boxes);
    }

    [Fact]
    public void AnUnparsedSecondSampleIsReplaced()
    {
        var choice = DiversityController.Choose(Center, null, 7);
        Assert.Equal(DiversityOutcome.Replaced, choice.Outcome);
        Assert.Null(choice.SampledIou);
        Assert.Equal(0, BoxIou.Intersection(choice.Box!.Value, Center));
    }

    [Fact]
    public void AFirstBoxCoveringAlmostTheWholeImageFallsBackToTheLargestFreeBox()
    {
        // 0.9 × 0.9 leaves strips 0.05 wide; a ±70 % box is at least 0.27 wide: no random try can fit.
        var first = new Box(0.05, 0.05, 0.95, 0.95);
        var choice = DiversityController.Choose(first, first, 3);
        Assert.Equal(DiversityOutcome.Fallback, choice.Outcome);
        Assert.Equal(100, choice.Tries);
        var box = choice.Box!.Value;
        Assert.Equal(0, BoxIou.Intersection(box, first));
        AssertInside(box);
        Assert.Equal(0.05, box.Width * box.Height, 9); // a full strip: 0.05 × 1 or 1 × 0.05
        Assert.Contains("largest free box", choice.Reason);
    }

    [Theory]
    [InlineData(0, 0, 1, 1)]
    [InlineData(0.005, 0.005, 0.995, 0.995)] // strips 0.005 < MinSide 0.01
    [InlineData(0, 0, 1.3, 1.2)]             // clamped to the full image first
    public void NoUsableBoxBesideTheFirstIsInfeasibleAndTerminates(double x1, double y1, double x2, double y2)
    {
        var first = new Box(x1, y1, x2, y2);
        var choice = DiversityController.Choose(first, first, 9, new DiversityOptions { MaxTries = 100_000 });
        Assert.Equal(DiversityOutcome.Infeasible, choice.Outcome);
        Assert.Null(choice.Box);
        Assert.Equal(100_000, choice.Tries);
        Assert.NotNull(choice.Reason);
    }

    [Fact]
    public void ANonFiniteFirstBoxIsInfeasibleAndANonFiniteSecondIsReplaced()
    {
        var choice = DiversityController.Choose(new Box(double.NaN, 0, 0.5, 0.5), new Box(0, 0, 0.5, 0.5), 1);
        Assert.Equal(DiversityOutcome.Infeasible, choice.Outcome);
        Assert.Null(choice.Box);
        var replaced = DiversityController.Choose(Center, new Box(0.9, 0.9, double.PositiveInfinity, 1), 1);
        Assert.Equal(DiversityOutcome.Replaced, replaced.Outcome);
        Assert.Null(replaced.SampledIou);
    }

    private static void AssertInside(Box box)
    {
        Assert.InRange(box.X1, 0, 1);
        Assert.InRange(box.Y1, 0, 1);
        Assert.InRange(box.X2, box.X1, 1);
        Assert.InRange(box.Y2, box.Y1, 1);
    }

    private static void AssertWithinMargin(double side, double firstSide, double margin)
    {
        const double eps = 1e-9;
        Assert.InRange(side, Math.Min(firstSide * (1 - margin), 1) - eps, Math.Min(firstSide * (1 + margin), 1) + eps);
    }
}
