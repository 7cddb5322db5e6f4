using VisRL.Imaging.Geometry;

namespace VisRL.DataGeneration.Backends;

/// <summary>Turn 1 asked of a policy: the item's scene and question; <see cref="Seed"/> makes the draw reproducible.</summary>
public sealed record BoxAsk(SampleItem Item, int Seed);

/// <summary>
/// A policy's turn-1 reply: its text and the box parsed from it (null with <see cref="ParseError"/>
/// when the text holds no box). <see cref="Failure"/> is set when no reply came at all (the endpoint
/// failed after its retries); the item then fails.
/// </summary>
public sealed record BoxReply(string Text, Box? Box, string? ParseError = null, string? Failure = null)
{
    public static BoxReply Failed(string reason) => new("", null, null, reason);
}

/// <summary>Turn 2 asked of a policy: the item, the box its crop comes from, the box as the conversation states it, and the seed.</summary>
public sealed record AnswerAsk(SampleItem Item, Box Box, string BoxText, int Seed);

/// <summary>A policy's turn-2 reply (the answer), or why none came.</summary>
public sealed record AnswerReply(string Text, string? Failure = null);

/// <summary>Σ log p of a candidate's box tokens and answer tokens under the policy (null where the backend cannot tell).</summary>
public sealed record CandidateLogProbs(double? Box, double? Answer);

/// <summary>
/// The policy of the two-turn visual CoT (DESIGN.md §1): in-process VisRL-Tiny or an
/// OpenAI-compatible endpoint. Replies come back in the order asked; a backend reports an item's
/// failure in its reply instead of throwing, so one bad item never sinks the others. It throws
/// <see cref="BackendUnavailableException"/> only when it is down as a whole (<see cref="Http.EndpointDown"/>).
/// </summary>
public interface IPolicyBackend
{
    Task<IReadOnlyList<BoxReply>> BoxesAsync(IReadOnlyList<BoxAsk> asks, double temperature, CancellationToken cancellationToken);

    Task<IReadOnlyList<AnswerReply>> AnswersAsync(IReadOnlyList<AnswerAsk> asks, double temperature, CancellationToken cancellationToken);

    /// <summary>The DPO quantities of answered candidates (an HTTP endpoint gives none: nulls).</summary>
    Task<IReadOnlyList<CandidateLogProbs>> LogProbsAsync(IReadOnlyList<(AnswerAsk Ask, string Answer)> answered, CancellationToken cancellationToken);
}
