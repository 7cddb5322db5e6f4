namespace VisRL.Platform.Persistence.Entities;

/// <summary>
/// One (image, question, standard answer) item. The GT box is hidden evidence: statistics and
/// evaluation may read it, training after SFT never does.
/// </summary>
public sealed class Item
{
    public long Id { get; set; }
    public Guid DatasetId { get; set; }
    /// <summary>"sft", "rl", "test", …</summary>
    public required string Split { get; set; }
    /// <summary>Position in its split; (dataset, split, ordinal) is unique, so imports are idempotent.</summary>
    public int Ordinal { get; set; }
    public required string ImageBlobKey { get; set; }
    public int ImageWidth { get; set; }
    public int ImageHeight { get; set; }
    public required string Question { get; set; }
    public required string StandardAnswer { get; set; }
    public string? Family { get; set; }
    /// <summary>Hidden GT box, normalized xyxy; null when the source has none.</summary>
    public float? GtX1 { get; set; }
    public float? GtY1 { get; set; }
    public float? GtX2 { get; set; }
    public float? GtY2 { get; set; }
}
