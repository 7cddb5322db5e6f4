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
