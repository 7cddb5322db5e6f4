namespace VisRL.Platform.Persistence.Entities;

/// <summary>
/// A request to take a failed iteration up again (ResumeIteration, `visrl run retry`) and the config changes it
/// asked for: applied (<see cref="Refusal"/> null), or refused with the reason, the iteration left as it was.
/// </summary>
public sealed class IterationResumeRequest
{
    /// <summary>The request's id (ResumeIteration.RequestId), by which `visrl run retry` finds its outcome.</summary>
    public Guid Id { get; set; }
    public Guid IterationId { get; set; }
    /// <summary>The iteration's resume this request made (refused: the one it would have made).</summary>
    public int Resume { get; set; }
    /// <summary>The changes as asked: a JSON object merged over the iteration's config; null for none.</summary>
    public string? ChangesJson { get; set; }
    /// <summary>The settings the changes altered, as paths (thresholds.minBox).</summary>
    public string[] Changed { get; set; } = [];
    /// <summary>The iteration's full config before the request: what it had used until then.</summary>
    public string ConfigBeforeJson { get; set; } = "{}";
    public string? Refusal { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
