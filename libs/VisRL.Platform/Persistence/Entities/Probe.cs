namespace VisRL.Platform.Persistence.Entities;

/// <summary>A row written by the smoke check and doctor: proves the database takes writes.</summary>
public sealed class Probe
{
    public Guid Id { get; set; }
    public required string Kind { get; set; }
    public required string Detail { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
