using VisRL.Imaging.Geometry;
using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.Modeling.Tests;

public sealed class PreferenceTests
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void DpoLossRewardsAndGradientsMatchHandComputedValues()
    {
        using var scope = NewDisposeScope();
        const double beta = 0.5;
        double[] pw = [-1.0, -3.0, -2.0], pl = [-2.0, -1.0, -2.5], rw = [-1.5, -2.0, -2.0], rl = [-1.5, -2.0, -3.0];
        var policyChosen = tensor(pw.Select(v => (float)v).ToArray()).requires_grad_();
        var policyRejected = tensor(pl.Select(v => (float)v).ToArray()).requires_grad_();
        var terms = Losses.DpoWithRewards(policyChosen, policyRejected, tensor(rw.Select(v => (float)v).ToArray()), tensor(rl.Select(v => (float)v).ToArray()), beta);
        terms.Loss.backward();

        // By hand: chosen reward β(π_w − ref_w), rejected β(π_l − ref_l), margin = their difference.
        double[] chosen = [.. pw.Zip(rw, (p, r) => beta * (p - r))];      // 0.25, -0.5, 0
        double[] rejected = [.. pl.Zip(rl, (p, r) => beta * (p - r))];    // -0.25, 0.5, 0.25
        double[] margin = [.. chosen.Zip(rejected, (c, r) => c - r)];      // 0.5, -1, -0.25
        double loss = margin.Average(m => -Math.Log(Sigmoid(m)));
        Assert.Equal(loss, terms.Loss.item<float>(), 5);
        // dL/dπ_w = −β(1 − σ(m))/n, dL/dπ_l = +β(1 − σ(m))/n.
        var gradChosen = Tiny.Floats(policyChosen.grad!);
        var gradRejected = Tiny.Floats(policyRejected.grad!);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(-beta * (1 - Sigmoid(margin[i])) / 3, gradChosen[i], 5);
            Assert.Equal(beta * (1 - Sigmoid(margin[i])) / 3, gradRejected[i], 5);
        }
        var metrics = terms.Metrics("").ToDictionary();
        Assert.Equal(chosen.Average(), metrics["rewards/chosen"], 5);
        Assert.Equal(rejected.Average(), metrics["rewards/rejected"], 5);
        Assert.Equal(1 / 3.0, metrics["rewards/accuracies"], 5); // only pair 0 prefers the chosen
        Assert.Equal(margin.Average(), metrics["rewards/margins"], 5);
        Assert.Equal(Losses.Dpo(policyChosen, policyRejected, tensor(rw.Select(v => (float)v).ToArray()), tensor(rl.Select(v => (float)v).ToArray()), beta).item<float>(),
            terms.Loss.item<float>(), 6);
    }

    [Fact]
    public void AtTheStartThePolicyEqualsItsReferenceSoTheMarginIsZeroAndTheLossIsLog2()
    {
        using var policy = Tiny.Model(seed: 3);
        var objective = new PreferenceObjective(policy, Pairs(), new DpoConfig { WithAnswer = true });
        var values = new Dictionary<string, double>();
        using var scope = NewDisposeScope();
        var loss = objective.Loss([0, 1, 2, 3], values);
        // λ_B·log 2 + λ_R·log 2 with λ_B = λ_R = 0.5.
        Assert.Equal(Math.Log(2), loss.item<float>(), 4);
        Assert.Equal(0, values["rewards/margins"], 5);
        Assert.Equal(0, values["box/rewards/chosen"], 5);
        Assert.Equal(1, values["pairs/answer_share"]);
    }

    [Theory]
    [InlineData(false, false)] // stage 1, precomputed reference
    [InlineData(true, true)]   // stage 2, frozen reference copy
    public void AStageRaisesRewardAccuracyAboveHalfAndWidensTheMargin(bool withAnswer, bool frozenReference)
    {
        using var policy = Tiny.Model(seed: 5);
        using var frozen = frozenReference ? Tiny.Model(seed: 5) : null;
        var pairs = Pairs();
        var objective = new PreferenceObjective(policy, pairs, new DpoConfig { WithAnswer = withAnswer, Beta = 0.5 }, frozen);
        var metrics = new List<TrainingMetrics>();
        new Trainer(policy, new TrainerConfig { Steps = 30, BatchSize = 8, LearningRate = 3e-3, WarmupSteps = 2, LogEvery = 10, Seed = 9 }, objective)
        { OnMetrics = metrics.Add }.Run();

        // Score every pair with the trained policy against a fresh copy of the start weights.
        using var start = Tiny.Model(seed: 5);
        var after = new Dictionary<string, double>();
        using (no_grad())
        using (NewDisposeScope())
            new PreferenceObjective(policy, pairs, new DpoConfig { WithAnswer = withAnswer, Beta = 0.5 }, start).Loss([.. Enumerable.Range(0, pairs.Count)], after);
        Assert.True(after["rewards/accuracies"] > 0.5, $"rewards/accuracies {after["rewards/accuracies"]}");
        Assert.True(after["rewards/margins"] > 0.1, $"rewards/margins {after["rewards/margins"]}");
        Assert.True(metrics[^1].Values["rewards/margins"] > metrics[0].Values["rewards/margins"], "the margin widened during training");
        if (withAnswer) Assert.True(after["answer/rewards/margins"] > 0, $"answer/rewards/margins {after["answer/rewards/margins"]}");
    }

    [Fact]
    public void StageTwoWithAFrozenReferenceEndsTheSameWithItsMicroBatchesAtOnceOrInTurn()
    {
        var config = new TrainerConfig { Steps = 4, BatchSize = 2, GradAccumulation = 2, LearningRate = 3e-3, WarmupSteps = 1, LogEvery = 1, Seed = 9 };
        (List<TrainingMetrics> Metrics, Dictionary<string, float[]> Weights) Train(bool atOnce)
        {
            using var policy = Tiny.Model(seed: 5);
            using var frozen = Tiny.Model(seed: 5);
            var metrics = new List<TrainingMetrics>();
            new Trainer(policy, config, new PreferenceObjective(policy, Pairs(), new DpoConfig { WithAnswer = true, SftWeight = 0.5 }, frozen))
            { ConcurrentMicroBatches = atOnce, OnMetrics = metrics.Add }.Run();
            return (metrics, policy.Model.state_dict().ToDictionary(p => p.Key, p => Tiny.Floats(p.Value)));
        }
        var (inTurn, atOnce) = (Train(atOnce: false), Train(atOnce: true));
        Assert.Equal(inTurn.Metrics.Select(m => (m.Loss, m.Values["rewards/margins"])), atOnce.Metrics.Select(m => (m.Loss, m.Values["rewards/margins"])));
        foreach (var (name, weights) in inTurn.Weights) Assert.True(weights.SequenceEqual(atOnce.Weights[name]), $"{name} differs");
    }

    [Fact]
    public void AnAnswerTheTokenizerCannotReadDropsOnlyThatPairsAnswerTerm()
    {
        using var policy = Tiny.Model(seed: 3);
        var pairs = Pairs().Select((p, i) => i == 0 ? p with { RejectedAnswer = "zebra-unknown-word" } : p).ToList();
        var objective = new PreferenceObjective(policy, pairs, new DpoConfig { WithAnswer = true });
        Assert.Equal(pairs.Count - 1, objective.AnswerPairCount);
        var values = new Dictionary<string, double>();
        using var scope = NewDisposeScope();
        Assert.True(double.IsFinite(objective.Loss([0, 1], values).item<float>()));
        Assert.Equal(0.5, values["pairs/answer_share"]);
    }

    [Fact]
    public void AStoredReferenceGivesTheComputedOnesLoss_AndItIsTheReferenceTheLossUses()
    {
        using var policy = Tiny.Model(seed: 3);
        var pairs = Pairs().Select((p, i) => i == 0 ? p with { RejectedAnswer = "zebra-unknown-word" } : p).ToList();
        var config = new DpoConfig { WithAnswer = true, Beta = 0.5 };
        var computed = new PreferenceObjective(policy, pairs, config);
        var reference = computed.ReferenceLogProbs!;
        Assert.Equal(PreferenceObjective.TermNames.Order(), reference.Keys.Order());
        Assert.True(double.IsNaN(reference["answer/rejected"][0]), "pair 0 has no answer term, so no answer reference");
        Assert.All(reference["box/chosen"], v => Assert.True(v < 0 && double.IsFinite(v)));

        (float Loss, Dictionary<string, double> Values) LossOf(PreferenceObjective objective)
        {
            var values = new Dictionary<string, double>();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return (objective.Loss([.. Enumerable.Range(0, pairs.Count)], values).item<float>(), values);
        }
        var fromComputed = LossOf(computed);
        var fromStored = LossOf(new PreferenceObjective(policy, pairs, config, storedReference: reference));
        Assert.Equal(fromComputed.Loss, fromStored.Loss);
        Assert.Equal(fromComputed.Values, fromStored.Values);

        // A reference one nat lower on every chosen box raises the chosen box reward by β.
        var lower = reference.ToDictionary(t => t.Key, t => t.Key == "box/chosen" ? [.. t.Value.Select(v => v - 1)] : t.Value);
        var fromLower = LossOf(new PreferenceObjective(policy, pairs, config, storedReference: lower));
        Assert.Equal(fromComputed.Values["box/rewards/chosen"] + config.Beta, fromLower.Values["box/rewards/chosen"], 4);
        Assert.True(fromLower.Loss < fromComputed.Loss, $"{fromLower.Loss} ≥ {fromComputed.Loss}");

        using var frozen = Tiny.Model(seed: 3);
        Assert.Null(new PreferenceObjective(policy, pairs, config, frozen).ReferenceLogProbs);
    }

    [Fact]
    public void AStoredReferenceThatDoesNotFitThePairsIsRefusedWithTheReason()
    {
        using var policy = Tiny.Model(seed: 3);
        var pairs = Pairs();
        var reference = new PreferenceObjective(policy, pairs, new DpoConfig { WithAnswer = true }).ReferenceLogProbs!;
        string Refusal(DpoConfig config, Func<Dictionary<string, double[]>, Dictionary<string, double[]>> change) =>
            Assert.Throws<ArgumentException>(() => new PreferenceObjective(policy, pairs, config, storedReference: change(reference.ToDictionary()))).Message;

        Assert.Contains("no answer/rejected log-probs", Refusal(new DpoConfig { WithAnswer = true }, r => { r.Remove("answer/rejected"); return r; }));
        Assert.Contains($"{pairs.Count - 1} box/chosen log-probs for {pairs.Count} pairs",
            Refusal(new DpoConfig(), r => { r["box/chosen"] = r["box/chosen"][1..]; return r; }));
        Assert.Contains("box/rejected log-prob of pair 2 is NaN, not a finite number",
            Refusal(new DpoConfig(), r => { r["box/rejected"] = [.. r["box/rejected"].Select((v, i) => i == 2 ? double.NaN : v)]; return r; }));
        // Stage 1 needs only the box terms.
        _ = new PreferenceObjective(policy, pairs, new DpoConfig(), storedReference: new Dictionary<string, double[]>
        {
            ["box/chosen"] = reference["box/chosen"], ["box/rejected"] = reference["box/rejected"],
        });
    }

    [Fact]
    public void UnderTheChosenBoxTheLosersAnswerIsScoredInTheWinnersViewAndTheBoxTermStaysTheSame()
    {
        using var policy = Tiny.Model(seed: 3);
        var pairs = Pairs();
        var own = new PreferenceObjective(policy, pairs, new DpoConfig { WithAnswer = true }).ReferenceLogProbs!;
        var underChosen = new PreferenceObjective(policy, pairs, new DpoConfig { WithAnswer = true, RejectedAnswerUnderChosenBox = true }).ReferenceLogProbs!;
        // The same answer, asked in its own trajectory whose box is the winner's.
        var inWinnersView = new PreferenceObjective(policy, [.. pairs.Select(p => p with { RejectedBox = p.ChosenBox })], new DpoConfig { WithAnswer = true }).ReferenceLogProbs!;

        Assert.Equal(inWinnersView["answer/rejected"], underChosen["answer/rejected"]);
        Assert.NotEqual(own["answer/rejected"], underChosen["answer/rejected"]);
        foreach (var term in new[] { "box/chosen", "box/rejected", "answer/chosen" }) Assert.Equal(own[term], underChosen[term]);
    }

    /// <summary>Chosen = the GT box and the right answer; rejected = a box elsewhere and another item's answer.</summary>
    internal static List<PreferencePair> Pairs() =>
    [
        .. Tiny.Scenes.Select((s, i) => new PreferencePair(s.Image, s.Question, s.GtBox, Elsewhere(s.GtBox),
            s.Answer, Tiny.Scenes[(i + 1) % Tiny.Scenes.Count].Answer)),
    ];

    private static Box Elsewhere(Box box) =>
        box.X1 > 0.5 ? new Box(0.02f, 0.02f, 0.2f, 0.2f) : new Box(0.75f, 0.75f, 0.95f, 0.95f);
}
