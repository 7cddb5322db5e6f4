using VisRL.Cli.Commands;
using VisRL.Contracts.V1;

namespace VisRL.Platform.Tests;

/// <summary>The demo's plans: the seeds a replica moves, and the plan files under docs/demo-plans.</summary>
public sealed class DemoPlanTests
{
    [Fact]
    public void AReplicaMovesTheSftPolicysAndTheIterationsSeedsOnly_AndReplicaZeroIsThePlan()
    {
        var plan = DemoPlan.Quick;
        var zero = plan.Replica(0);
        Assert.Equal(plan.Training, zero.Training);
        Assert.Equal(plan.Dpo, zero.Dpo);
        Assert.Equal(new SamplingSettings(), zero.Sampling);

        var two = plan.Replica(2);
        Assert.Equal(plan.Training.Focus.Seed + 2, two.Training.Focus.Seed);
        Assert.Equal(plan.Training.Sft.Seed + 2, two.Training.Sft.Seed);
        Assert.Equal(zero.Sampling.Seed + 2, two.Sampling.Seed);
        Assert.Equal(plan.Dpo.Seed + 2, two.Dpo.Seed);
        // M_org's settings stay, so every replica starts from the same M_org.
        Assert.Equal(plan.Training with { Focus = two.Training.Focus, Sft = two.Training.Sft }, two.Training);
        Assert.Equal(plan.Dpo with { Seed = two.Dpo.Seed }, two.Dpo);
    }

    [Fact]
    public void TheNoAnswerTermPlanIsTheQuickPlanWithOnlyStage2sAnswerWeightAtZero()
    {
        // The README compares the two over three seeds; they must differ in that setting alone.
        var plan = DemoPlan.Load(Path.Combine(RepositoryPaths.Root, "docs", "demo-plans", "no-answer-term.json"));
        Assert.Equal(0, plan.Dpo.AnswerWeight);
        Assert.Equal(DemoPlan.Quick with { Name = plan.Name, Dpo = DemoPlan.Quick.Dpo with { AnswerWeight = 0 } }, plan with { Training = DemoPlan.Quick.Training });
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(DemoPlan.Quick.Training), System.Text.Json.JsonSerializer.Serialize(plan.Training));
    }

    [Theory]
    [InlineData("{\"name\":\"p\",\"baseItems\":1,\"sftItems\":1,\"rlItems\":1,\"testItems\":1,\"samplers\":1,\"batchSize\":1}", "dataset is missing")]
    [InlineData("{\"dataset\":\"d\",\"baseItems\":1,\"sftItems\":1,\"rlItems\":1,\"testItems\":1,\"samplers\":1,\"batchSize\":1}", "name is missing")]
    [InlineData("{\"name\":\"p\",\"dataset\":\"d\",\"baseItems\":0}", "split sizes, samplers and batchSize must be ≥ 1")]
    [InlineData("{\"name\":\"p\",\"baseItems\":\"many\"}", "is not a plan: ")]
    public void ABadPlanIsRefusedBeforeTheDemoStarts_NamingTheFileAndTheField(string json, string reason)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("visrl-plan-").FullName, "plan.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<ArgumentException>(() => DemoPlan.Load(path));
        Assert.StartsWith($"demo plan '{path}'", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Theory]
    [InlineData("ratio.json")]
    [InlineData("no-answer-term.json")]
    public void EveryPlanFileLoads(string file)
    {
        var plan = DemoPlan.Load(Path.Combine(RepositoryPaths.Root, "docs", "demo-plans", file));
        Assert.False(string.IsNullOrWhiteSpace(plan.Name));
        Assert.True(plan.RlItems > 0 && plan.TestItems > 0);
    }
}
