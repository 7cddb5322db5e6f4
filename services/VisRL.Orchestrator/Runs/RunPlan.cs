using System.Text.Json;
using VisRL.Contracts.V1;
using VisRL.Orchestrator.Rounds;
using VisRL.Platform.Identity;

namespace VisRL.Orchestrator.Runs;

/// <summary>
/// A run's configuration as recorded in runs.config_json: what every iteration samples, judges and
/// trains with. Iterations of a run always train (a missing "training" section gets the defaults).
/// Iteration ids derive from the run, so a replayed event starts no iteration twice.
/// </summary>
public sealed record RunPlan(Guid RunId, string Name, string Dataset, string JudgeCheckpoint, int Iterations, int? ItemLimit, RoundConfig Round)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <exception cref="ArgumentException">A bad iteration count or round config (not retried: the message goes to _error with the reason).</exception>
    public static RunPlan From(StartRun start)
    {
        if (start.Iterations < 1) throw new ArgumentException($"run {start.Name}: iterations must be ≥ 1, not {start.Iterations}");
        var round = RoundConfig.Parse(start.ConfigJson);
        return new RunPlan(start.RunId, start.Name, start.Dataset, start.JudgeCheckpoint, start.Iterations, start.ItemLimit,
            round with { Training = round.Training ?? new TrainingConfig() });
    }

    public static RunPlan Parse(string json) =>
        JsonSerializer.Deserialize<RunPlan>(json, Json) ?? throw new ArgumentException("the run's config is empty");

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public StartIteration Iteration(int number, string policyCheckpoint) =>
        new(RunId, WorkflowIds.Iteration(RunId, number), number, Dataset, policyCheckpoint, JudgeCheckpoint, ItemLimit, Round.ToJson());
}
