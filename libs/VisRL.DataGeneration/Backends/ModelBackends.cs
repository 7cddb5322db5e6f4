using VisRL.Contracts.V1;
using VisRL.DataGeneration.Backends.Http;

namespace VisRL.DataGeneration.Backends;

/// <summary>
/// The backend a batch command names: its <see cref="ModelEndpoint"/> (null or local: the checkpoint
/// in-process through the <see cref="ModelCache"/>; http: the endpoint). Keeps the consumers to
/// "load, sample or score, write". An endpoint that is down throws <see cref="BackendUnavailableException"/>
/// (<see cref="Http.EndpointDown"/>); single failed items come back in the result.
/// </summary>
public sealed class ModelBackends(ModelCache models, HttpClient http)
{
    /// <summary>How failures name the policy of <paramref name="m"/>.</summary>
    public static string PolicyName(SampleBatch m) => m.Policy is { } e && e.IsHttp() ? $"policy endpoint {e.BaseUrl} ({e.Model})" : $"policy checkpoint {m.PolicyCheckpoint}";

    /// <summary>How failures name the judge of <paramref name="m"/>.</summary>
    public static string JudgeName(ScoreBatch m) => m.Judge is { } e && e.IsHttp() ? $"judge endpoint {e.BaseUrl} ({e.Model})" : $"judge checkpoint {m.JudgeCheckpoint}";

    public Task<SamplingResult> SampleAsync(SampleBatch m, IReadOnlyList<SampleItem> items, CancellationToken cancellationToken) =>
        m.Policy is { } endpoint && endpoint.IsHttp()
            ? new CandidateSampler(new HttpPolicy(Chat(endpoint))).SampleAsync(items, m.Sampling, cancellationToken)
            : models.UseAsync(m.PolicyCheckpoint, (policy, _) => new CandidateSampler(policy).SampleAsync(items, m.Sampling, cancellationToken).GetAwaiter().GetResult(), cancellationToken);

    /// <summary>The id the judge's scores are stored under (<see cref="JudgeIds"/>): the checkpoint's content hash, or the endpoint's.</summary>
    public Task<string> JudgeIdAsync(ScoreBatch m, CancellationToken cancellationToken) =>
        m.Judge is { } endpoint && endpoint.IsHttp() ? Task.FromResult(JudgeIds.Of(endpoint)) : models.UseAsync(m.JudgeCheckpoint, (_, hash) => hash, cancellationToken);

    public Task<JudgeScoring> ScoreAsync(ScoreBatch m, IReadOnlyList<CriticInput> inputs, CancellationToken cancellationToken) =>
        m.Judge is { } endpoint && endpoint.IsHttp()
            ? new HttpJudge(Chat(endpoint)).ScoreAsync(inputs, m.UseBoxCritic, cancellationToken)
            : models.UseAsync(m.JudgeCheckpoint, (judge, _) => new InProcessJudge(judge).ScoreAsync(inputs, m.UseBoxCritic, cancellationToken).GetAwaiter().GetResult(), cancellationToken);

    private ChatClient Chat(ModelEndpoint endpoint) => new(http, endpoint, ApiKey(endpoint), EndpointGates.For(endpoint));

    /// <exception cref="ArgumentException">The endpoint names a key variable this worker does not have.</exception>
    private static string? ApiKey(ModelEndpoint endpoint)
    {
        if (string.IsNullOrEmpty(endpoint.ApiKeyVariable)) return null;
        return Environment.GetEnvironmentVariable(endpoint.ApiKeyVariable) is { Length: > 0 } key
            ? key
            : throw new ArgumentException($"apiKeyVariable '{endpoint.ApiKeyVariable}' is not set in this worker's environment");
    }
}
