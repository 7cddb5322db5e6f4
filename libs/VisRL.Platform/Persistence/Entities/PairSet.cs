namespace VisRL.Platform.Persistence.Entities;

/// <summary>The preference pairs one iteration produced under one set of thresholds.</summary>
public sealed class PairSet
{
    public Guid Id { get; set; }
    public Guid IterationId { get; set; }
    /// <summary>"default", or an ablation's name; (iteration, name) is unique.</summary>
    public string Name { get; set; } = "default";
    public string ThresholdsJson { get; set; } = "{}";
    public int ItemCount { get; set; }
    public int PairCount { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
