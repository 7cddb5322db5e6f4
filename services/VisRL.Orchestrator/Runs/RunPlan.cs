using System.Text.Json;
using System.Text.Json.Nodes;
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

    /// <summary>
    /// A run's recorded config with the round's settings replaced, so that the iterations after a resume that changed
    /// them use them too: a run's plan keeps its training section, and a round started on its own records its round config.
    /// </summary>
    public static string WithRound(string runConfigJson, RoundConfig round) =>
        JsonNode.Parse(runConfigJson)?["round"] is null ? round.ToJson()
            : (Parse(runConfigJson) with { Round = round with { Training = round.Training ?? new TrainingConfig() } }).ToJson();

    public StartIteration Iteration(int number, string policyCheckpoint) =>
        new(RunId, WorkflowIds.Iteration(RunId, number), number, Dataset, policyCheckpoint, JudgeCheckpoint, ItemLimit, Round.ToJson());

    /// <summary>
    /// The first iteration of a run whose round config <see cref="From"/> refused, with that config as given and a
    /// training section as a run's iterations have: the saga fails it with the reason. Null where there is no iteration
    /// to fail: no iterations asked for, or a config that is not a JSON object (the database could not record it).
    /// </summary>
    public static StartIteration? Refused(StartRun start)
    {
        if (start.Iterations < 1) return null;
        JsonObject? config;
        try { config = JsonNode.Parse(string.IsNullOrWhiteSpace(start.ConfigJson) ? "{}" : start.ConfigJson) as JsonObject; }
        catch (JsonException) { return null; }
        if (config is null) return null;
        if (!config.Any(p => string.Equals(p.Key, "training", StringComparison.OrdinalIgnoreCase))) config["training"] = new JsonObject();
        return new(start.RunId, WorkflowIds.Iteration(start.RunId, 1), 1, start.Dataset, start.PolicyCheckpoint, start.JudgeCheckpoint, start.ItemLimit,
            config.ToJsonString());
    }
}
