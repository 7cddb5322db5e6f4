using VisRL.Contracts.V1;
using VisRL.Imaging.Geometry;
using VisRL.Method.Diversity;
using VisRL.Modeling;

namespace VisRL.DataGeneration.Tests;

public class CandidateSamplerTests
{
    private static readonly SamplingSettings Defaults = new();

    [Fact]
    public void EachAttemptYieldsAnOwnAndADiverseCandidate()
    {
        using var model = Tiny.Model();
        var items = Tiny.SampleItems(3);
        var candidates = new CandidateSampler(model).Sample(items, Defaults);

        Assert.Equal(3 * 3 * 2, candidates.Count);
        foreach (var item in items)
            for (int attempt = 0; attempt < 3; attempt++)
                Assert.Equal([CandidateKinds.Diverse, CandidateKinds.Own],
                    candidates.Where(c => c.ItemId == item.ItemId && c.Attempt == attempt).Select(c => c.Kind).Order());
        Assert.All(candidates.Where(c => c.Kind == CandidateKinds.Own), c => Assert.NotNull(c.Box)); // constrained decoding always parses
    }

    [Fact]
    public void TheDiversityControllerKeepsTheSecondBoxApartFromTheFirst()
    {
        using var model = Tiny.Model();
        var candidates = new CandidateSampler(model).Sample(Tiny.SampleItems(3), Defaults);
        foreach (var diverse in candidates.Where(c => c.Kind == CandidateKinds.Diverse))
        {
            var own = candidates.Single(c => c.ItemId == diverse.ItemId && c.Attempt == diverse.Attempt && c.Kind == CandidateKinds.Own);
            Assert.NotNull(diverse.Diversity);
            if (diverse.Diversity!.Outcome == DiversityOutcome.Infeasible)
            {
                Assert.Null(diverse.Box);
                Assert.StartsWith("diversity controller:", diverse.BoxParseError);
                continue;
            }
            Assert.True(BoxIou.Iou(diverse.Box!.Value, own.Box!.Value) <= Defaults.DiversityIouThreshold,
                $"{diverse.Diversity.Outcome}: {diverse.Box} vs {own.Box}");
            Assert.Equal(diverse.Box.Value.ToString(), diverse.Diversity.Outcome == DiversityOutcome.Kept ? Parse(diverse.BoxText) : diverse.BoxText);
        }
    }

    private static string Parse(string text) => BoxParser.Parse(text).Box.ToString();

    [Fact]
    public void WithTheControllerOffTheSecondCandidateIsThePlainResample()
    {
        using var model = Tiny.Model();
        var items = Tiny.SampleItems(2);
        var settings = Defaults with { DiversityController = false };
        var candidates = new CandidateSampler(model).Sample(items, settings);

        foreach (var diverse in candidates.Where(c => c.Kind == CandidateKinds.Diverse))
        {
            Assert.Null(diverse.Diversity);
            var item = items.Single(i => i.ItemId == diverse.ItemId);
            var resample = model.GenerateBox([new BoxRequest(item.Scene, item.Question, SampleSeeds.For(settings.Seed, item.ItemId, diverse.Attempt, "second"))],
                new SamplingOptions { Temperature = settings.Temperature })[0];
            Assert.Equal(resample.Text, diverse.BoxText);
            Assert.Equal(resample.Box, diverse.Box);
        }
    }

    [Fact]
    public void TheSameSeedSamplesTheSameCandidatesWhateverTheBatch()
    {
        using var model = Tiny.Model();
        var sampler = new CandidateSampler(model);
        var items = Tiny.SampleItems(3);
        var first = sampler.Sample(items, Defaults);
        var again = sampler.Sample(items, Defaults);
        var alone = sampler.Sample([items[1]], Defaults);
        var otherSeed = sampler.Sample(items, Defaults with { Seed = 89 });

        Assert.Equal(Key(first), Key(again));
        Assert.Equal(LogProbs(first), LogProbs(again));
        // Alone, the item's rows are padded differently: the same tokens, log-probs equal to float32 rounding.
        var sameItem = first.Where(c => c.ItemId == items[1].ItemId).ToList();
        Assert.Equal(Key(sameItem), Key(alone));
        foreach (var (batched, single) in LogProbs(sameItem).Zip(LogProbs(alone)))
            Assert.True(Math.Abs(batched - single) < 1e-3, $"log-prob {batched} in a batch, {single} alone");
        Assert.NotEqual(Key(first), Key(otherSeed));
    }

    private static List<string> Key(IEnumerable<SampledCandidate> candidates) =>
        [.. candidates.Select(c => $"{c.ItemId}/{c.Attempt}/{c.Kind}: {c.BoxText} → {c.Answer} ({c.BoxLogProb.HasValue}, {c.AnswerLogProb.HasValue})")];

    private static List<double> LogProbs(IEnumerable<SampledCandidate> candidates) =>
        [.. candidates.SelectMany(c => new[] { c.BoxLogProb ?? 0, c.AnswerLogProb ?? 0 })];

    [Fact]
    public async Task AQuestionThePolicyCannotReadFailsThatItemAndTheOthersAreSampled()
    {
        using var model = Tiny.Model();
        var items = Tiny.SampleItems(3);
        items[1] = items[1] with { Question = "What colour is the zeppelin?" };
        var result = await new CandidateSampler(model).SampleAsync(items, Defaults);

        var failure = Assert.Single(result.Failed);
        Assert.Equal(items[1].ItemId, failure.ItemId);
        Assert.Contains("cannot read the question", failure.Reason);
        Assert.Contains("is not in the VisRL-Tiny vocabulary", failure.Reason);
        Assert.Equal([items[0].ItemId, items[2].ItemId], result.Candidates.Select(c => c.ItemId).Distinct().Order());
        Assert.Equal(2 * 3 * 2, result.Candidates.Count);
        // The readable items are sampled as if the unreadable one were not there.
        Assert.Equal(Key(new CandidateSampler(model).Sample([items[0], items[2]], Defaults)), Key(result.Candidates));
    }

    [Fact]
    public void CandidatesWithABoxCarryAnAnswerAndLogProbs()
    {
        using var model = Tiny.Model();
        var candidates = new CandidateSampler(model).Sample(Tiny.SampleItems(2), Defaults);
        Assert.All(candidates.Where(c => c.Box is not null), c =>
        {
            Assert.Null(c.BoxParseError);
            Assert.True(c.BoxLogProb is { } lp && double.IsFinite(lp) && lp <= 0, $"box log-prob {c.BoxLogProb}");
            Assert.True(c.AnswerLogProb is null || (double.IsFinite(c.AnswerLogProb.Value) && c.AnswerLogProb <= 0), $"answer log-prob {c.AnswerLogProb}");
        });
        Assert.Contains(candidates, c => c.AnswerLogProb is not null);
    }

    [Fact]
    public void SeedsAreStableAndDistinctPerPurpose()
    {
        Assert.Equal(SampleSeeds.For(88, 5, 1, "own"), SampleSeeds.For(88, 5, 1, "own"));
        var seeds = new[] { SampleSeeds.For(88, 5, 1, "own"), SampleSeeds.For(88, 5, 1, "second"), SampleSeeds.For(88, 5, 2, "own"),
            SampleSeeds.For(88, 6, 1, "own"), SampleSeeds.For(89, 5, 1, "own") };
        Assert.Equal(seeds.Length, seeds.Distinct().Count());
        Assert.All(seeds, s => Assert.True(s >= 0));
    }
}
