using System.Text.Json;
using VisRL.Contracts.V1;
using VisRL.Platform.Training;

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

    /// <summary>
    /// The last batches shrink so that replicas finish together (<see cref="BatchPlan"/>): each takes a
    /// batchTaper-th of the items left, at least a batchTaper-th of batchSize (and 2). 1 = equal batches.
    /// </summary>
    public int BatchTaper { get; init; } = 4;

    /// <summary>Dispatches of one batch before it is marked failed with its last reason.</summary>
    public int MaxBatchAttempts { get; init; } = 3;

    /// <summary>A batch a worker began this long ago without answering, or one whose stage's queue has not moved for this long, is dispatched again (<see cref="StuckBatches"/>).</summary>
    public int StuckAfterSeconds { get; init; } = 600;

    public SamplingSettings Sampling { get; init; } = new();
    public FilterThresholds Thresholds { get; init; } = new();

    /// <summary>Who samples: local (the round's policy checkpoint, in-process) or an HTTP endpoint.</summary>
    public ModelEndpoint Policy { get; init; } = new();

    /// <summary>Who scores: local (the round's judge checkpoint, in-process) or an HTTP endpoint.</summary>
    public ModelEndpoint Judge { get; init; } = new();

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
        if (config.BatchTaper < 1) throw new ArgumentException($"round config: batchTaper must be ≥ 1 (1 = equal batches), not {config.BatchTaper}");
        if (config.MaxBatchAttempts < 1) throw new ArgumentException($"round config: maxBatchAttempts must be ≥ 1, not {config.MaxBatchAttempts}");
        if (config.StuckAfterSeconds < 1) throw new ArgumentException($"round config: stuckAfterSeconds must be ≥ 1, not {config.StuckAfterSeconds}");
        Check(config.Sampling ?? throw new ArgumentException("round config: sampling must not be null"));
        Check(config.Thresholds ?? throw new ArgumentException("round config: thresholds must not be null"));
        Check(config.Policy ?? throw new ArgumentException("round config: policy must not be null"), "policy");
        Check(config.Judge ?? throw new ArgumentException("round config: judge must not be null"), "judge");
        if (config.Training is { } training) Check(training);
        return config;
    }

    /// <summary>
    /// Checked here too, not only by the Trainer: a bad DPO setting found there would fail the iteration after its
    /// sampling, where a retry may no longer change the setting (ResumeChanges), so the round's work would be lost.
    /// </summary>
    private static void Check(TrainingConfig training)
    {
        (training.Dpo ?? throw new ArgumentException("round config: training.dpo must not be null")).Validate("round config: training.dpo");
        if (training.EvalItems is < 1) throw new ArgumentException($"round config: training.evalItems must be ≥ 1, not {training.EvalItems}");
        if (string.IsNullOrWhiteSpace(training.EvalSplit)) throw new ArgumentException("round config: training.evalSplit must name a split");
    }

    /// <summary>Checked here, not by each Sampler batch: the sampling settings can no longer change on a retry (ResumeChanges).</summary>
    private static void Check(SamplingSettings s)
    {
        if (s.Attempts < 1) throw new ArgumentException($"round config: sampling.attempts must be ≥ 1, not {s.Attempts}");
        if (!(s.Temperature >= 0 && double.IsFinite(s.Temperature)))
            throw new ArgumentException($"round config: sampling.temperature must be a number ≥ 0 (0 = greedy), not {s.Temperature}");
        if (!(s.DiversityIouThreshold >= 0 && s.DiversityIouThreshold <= 1))
            throw new ArgumentException($"round config: sampling.diversityIouThreshold must be within [0, 1], not {s.DiversityIouThreshold}");
    }

    /// <summary>Checked here, so that a bad threshold rejects the round before anything is sampled, not at the Filter.</summary>
    private static void Check(FilterThresholds t)
    {
        foreach (var (name, value) in new[] { ("maxAnswer", t.MaxAnswer), ("minAnswer", t.MinAnswer), ("maxBox", t.MaxBox), ("minBox", t.MinBox) })
            if (!(value >= 0 && value <= 1)) throw new ArgumentException($"round config: thresholds.{name} must be within [0, 1], not {value}");
        if (t.PairsPerItem < 1) throw new ArgumentException($"round config: thresholds.pairsPerItem must be ≥ 1, not {t.PairsPerItem}");
    }

    private static void Check(ModelEndpoint endpoint, string role)
    {
        if (!string.Equals(endpoint.Kind, ModelEndpoint.Http, StringComparison.OrdinalIgnoreCase))
        {
            if (!string.Equals(endpoint.Kind, ModelEndpoint.Local, StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"round config: {role}.kind must be 'local' or 'http', not '{endpoint.Kind}'");
            return;
        }
        if (!Uri.TryCreate(endpoint.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"round config: {role}.baseUrl must be an absolute http(s) URL (e.g. http://127.0.0.1:8000/v1), not '{endpoint.BaseUrl}'");
        if (string.IsNullOrWhiteSpace(endpoint.Model)) throw new ArgumentException($"round config: {role}.model is required for kind 'http'");
        if (endpoint.TimeoutSeconds <= 0) throw new ArgumentException($"round config: {role}.timeoutSeconds must be > 0, not {endpoint.TimeoutSeconds}");
        if (endpoint.MaxRetries < 0) throw new ArgumentException($"round config: {role}.maxRetries must be ≥ 0, not {endpoint.MaxRetries}");
        if (endpoint.MaxConcurrency < 1) throw new ArgumentException($"round config: {role}.maxConcurrency must be ≥ 1, not {endpoint.MaxConcurrency}");
        if (endpoint.MaxTokens is < 1) throw new ArgumentException($"round config: {role}.maxTokens must be ≥ 1, not {endpoint.MaxTokens}");
        if (endpoint.RetryDelaySeconds < 0) throw new ArgumentException($"round config: {role}.retryDelaySeconds must be ≥ 0, not {endpoint.RetryDelaySeconds}");
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
