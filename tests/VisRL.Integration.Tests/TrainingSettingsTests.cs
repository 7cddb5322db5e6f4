using VisRL.Contracts.V1;
using VisRL.Orchestrator.Runs;
using VisRL.Platform.Training;
using VisRL.Training;

namespace VisRL.Integration.Tests;

/// <summary>Pure checks of the DPO settings and the run plan (nothing running).</summary>
public sealed class TrainingSettingsTests
{
    [Theory]
    [InlineData("{\"beta\":0}", "beta must be a positive number")]
    [InlineData("{\"reference\":\"shared\"}", "reference must be \"precomputed\" or \"frozen\"")]
    [InlineData("{\"boxWeight\":0,\"answerWeight\":0}", "must be ≥ 0 and not both 0")]
    [InlineData("{\"learningRate\":2}", "learningRate must be in (0, 1)")]
    [InlineData("{\"epochs\":0}", "epochs must be > 0")]
    [InlineData("{\"batchSize\":0}", "batchSize 0 and gradAccumulation 1 must be ≥ 1")]
    [InlineData("{\"schedule\":\"linear\"}", "schedule must be \"cosine\" or \"constant\"")]
    [InlineData("{\"rejectedAnswerContext\":\"rejected\"}", "rejectedAnswerContext must be \"own\" or \"chosen\", not \"rejected\"")]
    public void BadDpoSettingsAreRefusedWithTheFieldAndTheReason(string json, string reason)
    {
        var settings = System.Text.Json.JsonSerializer.Deserialize<DpoSettings>(json, System.Text.Json.JsonSerializerOptions.Web)!;
        var error = Assert.Throws<ArgumentException>(() => settings.Validate("DPO settings"));
        Assert.Contains(reason, error.Message);
        Assert.StartsWith("DPO settings:", error.Message);
    }

    [Fact]
    public void StepsFollowEpochsPairsBatchAndAccumulation()
    {
        var config = PreferenceTraining.TrainerConfigFor("dpo-box", new DpoSettings(Epochs: 3, BatchSize: 8, GradAccumulation: 2, WarmupRatio: 0.1), pairCount: 50);
        Assert.Equal(10, config.Steps); // ⌈3 × 50 / 16⌉
        Assert.Equal((1, 2, 88, "dpo-box"), (config.WarmupSteps, config.GradAccumulation, (int)config.Seed, config.Phase));
        Assert.Equal(2, config.CheckpointEvery); // four resumable checkpoints per stage by default
        Assert.Equal(0.05, config.MinLearningRateRatio);
        Assert.Equal(1.0, PreferenceTraining.TrainerConfigFor("dpo-box", new DpoSettings(Schedule: "constant"), 10).MinLearningRateRatio);
    }

    [Fact]
    public void ARunAlwaysTrainsAndItsIterationsDeriveFromIt()
    {
        var start = new StartRun(Guid.NewGuid(), "r", "ds", "policy", "judge", 2, 10, "{\"batchSize\":4}");
        var plan = RunPlan.From(start);
        Assert.NotNull(plan.Round.Training); // a run without a training section gets the defaults
        var again = RunPlan.Parse(plan.ToJson());
        var first = again.Iteration(1, "p1");
        var second = again.Iteration(2, "p2");
        Assert.Equal((start.RunId, 1, "p1", "judge", 10), (first.RunId, first.Number, first.PolicyCheckpoint, first.JudgeCheckpoint, first.ItemLimit));
        Assert.Equal(first.IterationId, plan.Iteration(1, "other").IterationId);
        Assert.NotEqual(first.IterationId, second.IterationId);
        Assert.Contains("\"training\"", first.ConfigJson);
        Assert.Throws<ArgumentException>(() => RunPlan.From(start with { Iterations = 0 }));
        Assert.Throws<ArgumentException>(() => RunPlan.From(start with { ConfigJson = "{not json" }));
    }
}
