namespace VisRL.Platform.Persistence.Entities;

/// <summary>A run: one or more self-evolution iterations with one configuration.</summary>
public sealed class Run
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The full configuration the run was started with, seeds included.</summary>
    public string ConfigJson { get; set; } = "{}";
    public int PlannedIterations { get; set; }
    public required string Status { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
