namespace VisRL.Contracts.V1;

/// <summary>
/// Which model plays a role of a round (the policy that samples, or the judge that scores).
/// <c>local</c> (the default): the VisRL-Tiny checkpoint named by the command, in-process.
/// <c>http</c>: an OpenAI-compatible chat-completions endpoint (vLLM, LLaMA-Factory's api,
/// <c>visrl serve</c>) at <paramref name="BaseUrl"/> (the part before <c>/chat/completions</c>,
/// usually ending in <c>/v1</c>) serving <paramref name="Model"/>. No secret travels in messages:
/// <paramref name="ApiKeyVariable"/> names an environment variable of the worker that holds the key.
/// </summary>
/// <param name="TimeoutSeconds">Per request, each try.</param>
/// <param name="MaxRetries">Tries after the first for a timeout, a connection error, 408, 429 or 5xx; backoff doubles from 0.5 s.</param>
/// <param name="MaxConcurrency">Requests in flight to this endpoint from one worker process.</param>
/// <param name="MaxTokens">max_tokens of each request; null leaves it to the server.</param>
public sealed record ModelEndpoint(
    string Kind = ModelEndpoint.Local,
    string? BaseUrl = null,
    string? Model = null,
    string? ApiKeyVariable = null,
    double TimeoutSeconds = 120,
    int MaxRetries = 3,
    int MaxConcurrency = 4,
    int? MaxTokens = null,
    double RetryDelaySeconds = 0.5)
{
    public const string Local = "local", Http = "http";

    /// <summary>True for kind "http" (any case); anything else runs in-process (validated where the round config is parsed).</summary>
    public bool IsHttp() => string.Equals(Kind, Http, StringComparison.OrdinalIgnoreCase);
}
