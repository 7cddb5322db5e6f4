namespace VisRL.Contracts.V1;

/// <summary>
/// The id a judge's scores are stored under (scores are unique per candidate and judge id): the judge
/// checkpoint's content hash, or "http:MODEL@URL" for a judge endpoint. The Critic writes by it; the
/// Orchestrator records it with the round, and the Filter and the statistics read by it.
/// </summary>
public static class JudgeIds
{
    /// <summary>The id of a judge endpoint's scores.</summary>
    public static string Of(ModelEndpoint endpoint) => $"http:{endpoint.Model}@{endpoint.BaseUrl?.TrimEnd('/')}";

    /// <summary>The id of a round's scores: its judge endpoint's, or else its judge checkpoint's hash.</summary>
    public static string Of(ModelEndpoint? judge, string judgeCheckpointHash) => judge is { } e && e.IsHttp() ? Of(e) : judgeCheckpointHash;
}
