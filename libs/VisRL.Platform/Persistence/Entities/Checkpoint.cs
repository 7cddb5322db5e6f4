namespace VisRL.Platform.Persistence.Entities;

/// <summary>A model checkpoint in blob storage, addressed by the hash of its content.</summary>
public sealed class Checkpoint
{
    public Guid Id { get; set; }
    public required string ContentHash { get; set; }
    public required string BlobKey { get; set; }
    /// <summary>The checkpoint this one was trained from.</summary>
    public Guid? ParentId { get; set; }
    /// <summary>"base", "sft", "dpo_box", "dpo_box_answer".</summary>
    public required string Stage { get; set; }
    public Guid? TrainingJobId { get; set; }
    public int Step { get; set; }
    public string ConfigJson { get; set; } = "{}";
    public DateTimeOffset CreatedAt { get; set; }
}
