using VisRL.Contracts.V1;
using VisRL.Imaging.Geometry;

namespace VisRL.DataGeneration.Tests;

public class SelfCriticTests
{
    private static List<CriticInput> Inputs()
    {
        var scene = Tiny.Items[0];
        return
        [
            new CriticInput(1, scene.Image, scene.Question, scene.Answer, scene.GtBox, scene.Answer),          // right answer
            new CriticInput(2, scene.Image, scene.Question, scene.Answer, new Box(0, 0, 0.2, 0.2), "zzz"),    // wrong answer
            new CriticInput(3, scene.Image, scene.Question, scene.Answer, null, ""),                          // no box
        ];
    }

    [Fact]
    public void ScoresAreInRangeAndTheAnswerScoreMatchesTheStandardAnswer()
    {
        using var judge = Tiny.Model(seed: 3);
        var results = new SelfCritic(judge).Score(Inputs(), useBoxCritic: true);

        Assert.Equal([1L, 2, 3], results.Select(r => r.CandidateId));
        Assert.Equal([1.0, 0.0, 0.0], results.Select(r => r.AnswerScore!.Value));
        Assert.All(results.Take(2), r =>
        {
            Assert.True(r.BoxScore is >= 0 and <= 1, $"s_b {r.BoxScore}");
            Assert.Null(r.Error);
        });
        Assert.Null(results[2].BoxScore);
        Assert.Contains(SelfCritic.NoBox, results[2].Error);
    }

    [Fact]
    public void TheBoxScoreIsTheJudgesProbabilityOfTheStandardAnswerGivenTheCropAlone()
    {
        using var judge = Tiny.Model(seed: 3);
        var input = Inputs()[1];
        var expected = judge.AnswerProbability([new VisRL.Modeling.ViewItem(judge.CropView(input.Scene, input.Box!.Value), input.Question, input.StandardAnswer)])[0];
        Assert.Equal(expected, new SelfCritic(judge).Score([input], useBoxCritic: true)[0].BoxScore!.Value, 12);
    }

    [Fact]
    public void WithoutTheBoxCriticTheBoxScoreIsNullAndNoError()
    {
        using var judge = Tiny.Model(seed: 3);
        var results = new SelfCritic(judge).Score(Inputs(), useBoxCritic: false);
        Assert.All(results, r =>
        {
            Assert.Null(r.BoxScore);
            Assert.Null(r.Error);
        });
        Assert.Equal([1.0, 0.0, 0.0], results.Select(r => r.AnswerScore!.Value));
    }

    [Fact]
    public void SampledCandidatesScoreEndToEnd()
    {
        using var model = Tiny.Model();
        var items = Tiny.SampleItems(2);
        var candidates = new CandidateSampler(model).Sample(items, new SamplingSettings());
        var inputs = candidates.Select((c, i) => new CriticInput(i, items.Single(x => x.ItemId == c.ItemId).Scene, items.Single(x => x.ItemId == c.ItemId).Question,
            Tiny.Items[(int)c.ItemId - 100].Answer, c.Box, c.Answer)).ToList();
        var results = new SelfCritic(model).Score(inputs, useBoxCritic: true);
        Assert.Equal(candidates.Count, results.Count);
        Assert.All(results, r =>
        {
            Assert.True(r.AnswerScore is 0 or 1);
            Assert.True(r.BoxScore is null ? r.Error is not null : r.BoxScore is >= 0 and <= 1);
        });
    }
}
