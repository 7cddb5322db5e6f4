using System.Text.Json;
using VisRL.Contracts.V1;

namespace VisRL.Orchestrator.Rounds;

/// <summary>
/// A round's configuration, as recorded with the iteration (StartIteration.ConfigJson). Every
/// field has the reference default, so "{}" is a valid round.
/// </summary>
public sealed record RoundConfig
{
    /// <summary>The dataset split the round samples from (items without boxes are fine).</summary>
    public string Split { get; init; } = "rl";

    /// <summary>Items per SampleBatch/ScoreBatch command.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Dispatches of one batch before it is marked failed with its last reason.</summary>
    public int MaxBatchAttempts { get; init; } = 3;

    /// <summary>A dispatched batch with no answer after this long is dispatched again.</summary>
    public int StuckAfterSeconds { get; init; } = 600;

    public SamplingSettings Sampling { get; init; } = new();
    public FilterThresholds Thresholds { get; init; } = new();

    /// <summary>DPO stages and evaluation after the pairs; null = data generation only (the round ends Paired).</summary>
    public TrainingConfig? Training { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static RoundConfig Parse(string json)
    {
        RoundConfig? config;
        try { config = JsonSerializer.Deserialize<RoundConfig>(string.IsNullOrWhiteSpace(json) ? "{}" : json, Json); }
        catch (JsonException e) { throw new ArgumentException($"round config is not valid JSON: {e.Message}", e); }
        config ??= new RoundConfig();
        if (config.BatchSize < 1) throw new ArgumentException($"round config: batchSize must be ≥ 1, not {config.BatchSize}");
        if (config.MaxBatchAttempts < 1) throw new ArgumentException($"round config: maxBatchAttempts must be ≥ 1, not {config.MaxBatchAttempts}");
        if (config.StuckAfterSeconds < 1) throw new ArgumentException($"round config: stuckAfterSeconds must be ≥ 1, not {config.StuckAfterSeconds}");
        return config;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
