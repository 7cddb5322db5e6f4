namespace VisRL.Platform.Persistence.Entities;

/// <summary>An item a stage could not process (corrupt image, unparseable reply, …) and why.</summary>
public sealed class WorkFailure
{
    public long Id { get; set; }
    public Guid IterationId { get; set; }
    public long ItemId { get; set; }
    /// <summary>"sample", "score", …</summary>
    public required string Stage { get; set; }
    public required string Reason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
