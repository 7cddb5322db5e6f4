using VisRL.Contracts.V1;
using VisRL.DataGeneration.Backends.Http;

namespace VisRL.DataGeneration.Backends;

/// <summary>
/// The backend a batch command names: its <see cref="ModelEndpoint"/> (null or local: the checkpoint
/// in-process through the <see cref="ModelCache"/>; http: the endpoint). Keeps the consumers to
/// "load, sample or score, write". A batch none of whose items the backend answered throws
/// <see cref="BackendUnavailableException"/>; single failed items come back in the result.
/// </summary>
public sealed class ModelBackends(ModelCache models, HttpClient http)
{
    /// <summary>How failures name the policy of <paramref name="m"/>.</summary>
    public static string PolicyName(SampleBatch m) => m.Policy is { } e && e.IsHttp() ? $"policy endpoint {e.BaseUrl} ({e.Model})" : $"policy checkpoint {m.PolicyCheckpoint}";

    /// <summary>How failures name the judge of <paramref name="m"/>.</summary>
    public static string JudgeName(ScoreBatch m) => m.Judge is { } e && e.IsHttp() ? $"judge endpoint {e.BaseUrl} ({e.Model})" : $"judge checkpoint {m.JudgeCheckpoint}";

    public async Task<SamplingResult> SampleAsync(SampleBatch m, IReadOnlyList<SampleItem> items, CancellationToken cancellationToken)
    {
        var result = m.Policy is { } endpoint && endpoint.IsHttp()
            ? await new CandidateSampler(new HttpPolicy(Chat(endpoint))).SampleAsync(items, m.Sampling, cancellationToken)
            : await models.UseAsync(m.PolicyCheckpoint, (policy, _) => new CandidateSampler(policy).SampleAsync(items, m.Sampling, cancellationToken).GetAwaiter().GetResult(), cancellationToken);
        if (items.Count > 0 && result.Failed.Count == items.Count)
            throw new BackendUnavailableException($"no item of the batch was answered; first: {result.Failed[0].Reason}");
        return result;
    }

    /// <summary>The id the judge's scores are stored under: the checkpoint's content hash, or the endpoint's <see cref="HttpJudge.IdOf"/>.</summary>
    public Task<string> JudgeIdAsync(ScoreBatch m, CancellationToken cancellationToken) =>
        m.Judge is { } endpoint && endpoint.IsHttp() ? Task.FromResult(HttpJudge.IdOf(endpoint)) : models.UseAsync(m.JudgeCheckpoint, (_, hash) => hash, cancellationToken);

    public async Task<JudgeScoring> ScoreAsync(ScoreBatch m, IReadOnlyList<CriticInput> inputs, CancellationToken cancellationToken)
    {
        var scoring = m.Judge is { } endpoint && endpoint.IsHttp()
            ? await new HttpJudge(Chat(endpoint)).ScoreAsync(inputs, m.UseBoxCritic, cancellationToken)
            : await models.UseAsync(m.JudgeCheckpoint, (judge, _) => new InProcessJudge(judge).ScoreAsync(inputs, m.UseBoxCritic, cancellationToken).GetAwaiter().GetResult(), cancellationToken);
        if (inputs.Count > 0 && scoring.Results.Count == 0 && scoring.Failed.Count > 0)
            throw new BackendUnavailableException($"no item of the batch was scored; first: {scoring.Failed[0].Reason}");
        return scoring;
    }

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
