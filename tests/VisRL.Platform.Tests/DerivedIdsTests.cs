using VisRL.Contracts.V1;
using VisRL.Platform.Identity;

namespace VisRL.Platform.Tests;

public sealed class DerivedIdsTests
{
    [Fact]
    public void AnIdIsAPureFunctionOfParentAndPurpose()
    {
        var parent = Guid.Parse("0b5e4c1a-3f7d-4e2b-9a61-2c8d7e5f1a90");
        Assert.Equal(DerivedIds.For(parent, "train/DpoBox"), DerivedIds.For(parent, "train/DpoBox"));
        Assert.NotEqual(DerivedIds.For(parent, "train/DpoBox"), DerivedIds.For(parent, "train/DpoBoxAnswer"));
        Assert.NotEqual(DerivedIds.For(parent, "x"), DerivedIds.For(Guid.NewGuid(), "x"));
        // Name-based: RFC 4122 variant, version 5.
        var text = DerivedIds.For(parent, "x").ToString();
        Assert.Equal('5', text[14]);
        Assert.Contains(text[19], "89ab");
    }

    [Fact]
    public void AnIterationsJobsAndEvaluationsAllHaveIdsOfTheirOwn()
    {
        var run = Guid.NewGuid();
        var iteration = WorkflowIds.Iteration(run, 1);
        var ids = new[]
        {
            iteration, WorkflowIds.Iteration(run, 2),
            WorkflowIds.TrainingJob(iteration, TrainingStage.DpoBox), WorkflowIds.TrainingJob(iteration, TrainingStage.DpoBoxAnswer),
            WorkflowIds.Evaluation(iteration, TrainingStage.DpoBox), WorkflowIds.Evaluation(iteration, TrainingStage.DpoBoxAnswer),
        };
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }
}
