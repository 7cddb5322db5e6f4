namespace VisRL.Imaging.Datasets;

/// <summary>A row a reader skipped: its index in the source file and why.</summary>
public sealed record DatasetFailure(int SourceIndex, string Reason);
