using VisRL.Orchestrator;
using VisRL.Orchestrator.Rounds;

namespace VisRL.Integration.Tests;

/// <summary>Which config changes a failed iteration takes when it is resumed (pure: nothing running).</summary>
public class ResumeChangesTests
{
    private const string Config = """{"batchSize":10,"thresholds":{"minBox":0.9},"training":{"dpo":{"beta":0.2}}}""";

    [Fact]
    public void BeforeItsPairsTheFilterMayBeLoosened_InAnyCasing()
    {
        var (config, changed) = ResumeChanges.Apply(Config, """{"Thresholds":{"MinBox":0.3,"pairsPerItem":2}}""", ResumePoint.DataGeneration, evaluated: false);
        Assert.Equal((0.3, 2), (config.Thresholds.MinBox, config.Thresholds.PairsPerItem));
        Assert.Equal(["thresholds.minBox", "thresholds.pairsPerItem"], changed);
        Assert.Equal((10, 0.2), (config.BatchSize, config.Training!.Dpo.Beta)); // the rest as it was
    }

    [Fact]
    public void NullResetsASettingToItsDefault_AndAValueAsItWasChangesNothing()
    {
        var (config, changed) = ResumeChanges.Apply(Config, """{"thresholds":{"minBox":null},"batchSize":10}""", ResumePoint.DataGeneration, evaluated: false);
        Assert.Equal(new RoundConfig().Thresholds.MinBox, config.Thresholds.MinBox);
        Assert.Equal(["thresholds.minBox"], changed);
    }

    [Fact]
    public void WhatTheIterationHasUsedIsRefused_NamingItAndWhatMayChange()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ResumeChanges.Apply(Config, """{"sampling":{"temperature":1.0},"thresholds":{"useBoxCritic":false,"minBox":0.3}}""", ResumePoint.DataGeneration, evaluated: false));
        Assert.StartsWith("sampling.temperature, thresholds.useBoxCritic cannot change on a retry before its pairs: the iteration has used them already; "
            + "start a new run to use other values (what may change here: maxBatchAttempts, stuckAfterSeconds, thresholds.maxAnswer", error.Message);
    }

    [Fact]
    public void OnceTrainingHasBegunOnlyWhereItIsEvaluatedMayChange_WhileNothingIsEvaluated()
    {
        var (config, changed) = ResumeChanges.Apply(Config, """{"training":{"evalDataset":"fresh","evalItems":50}}""", ResumePoint.AnswerStage, evaluated: false);
        Assert.Equal(("fresh", (int?)50), (config.Training!.EvalDataset, config.Training.EvalItems));
        Assert.Equal(["training.evalDataset", "training.evalItems"], changed);

        var dpo = Assert.Throws<ArgumentException>(() => ResumeChanges.Apply(Config, """{"training":{"dpo":{"beta":0.5}}}""", ResumePoint.BoxStage, evaluated: false));
        Assert.Contains("training.dpo.beta cannot change on a retry at DPO stage 1", dpo.Message);
        var evaluated = Assert.Throws<ArgumentException>(() => ResumeChanges.Apply(Config, """{"training":{"evalItems":50}}""", ResumePoint.Evaluation, evaluated: true));
        Assert.EndsWith("at its evaluation: the iteration has used it already; start a new run to use other values (nothing may change here)", evaluated.Message);
    }

    [Fact]
    public void BeforeItsPairsTheTrainingsSettingsMayChange_ButNotWhetherItTrains()
    {
        var (config, changed) = ResumeChanges.Apply(Config, """{"training":{"dpo":{"beta":0.5},"evalItems":100}}""", ResumePoint.DataGeneration, evaluated: false);
        Assert.Equal((0.5, (int?)100), (config.Training!.Dpo.Beta, config.Training.EvalItems));
        Assert.Equal(["training.dpo.beta", "training.evalItems"], changed);

        var removed = Assert.Throws<ArgumentException>(() => ResumeChanges.Apply(Config, """{"training":null}""", ResumePoint.DataGeneration, evaluated: false));
        Assert.StartsWith("training cannot change on a retry before its pairs", removed.Message);
        var added = Assert.Throws<ArgumentException>(() => ResumeChanges.Apply("{}", """{"training":{"evalItems":10}}""", ResumePoint.DataGeneration, evaluated: false));
        Assert.StartsWith("training cannot change on a retry before its pairs", added.Message);
    }

    [Theory]
    [InlineData("""{"thresholds":{"minBx":0.3}}""", "config changes: 'thresholds.minBx' is not a round setting")]
    [InlineData("""{"thresholds":{"minBox":1.5}}""", "round config: thresholds.minBox must be within [0, 1], not 1.5")]
    [InlineData("[1]", "config changes must be a JSON object, not [1]")]
    [InlineData("{", "config changes are not valid JSON")]
    public void BadChangesAreRefusedWithTheReason(string changes, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => ResumeChanges.Apply(Config, changes, ResumePoint.DataGeneration, evaluated: false));
        Assert.StartsWith(reason, error.Message);
    }
}
