namespace VisRL.Platform.Checkpoints;

/// <summary>A stored checkpoint: its row, its content hash (its address) and its blob prefix.</summary>
public sealed record CheckpointRef(Guid Id, string ContentHash, string BlobPrefix, string Stage, int Step);
