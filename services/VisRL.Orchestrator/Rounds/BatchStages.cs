namespace VisRL.Orchestrator.Rounds;

/// <summary>The stages a batch passes and the statuses it can have (the `batches` table's text values).</summary>
public static class BatchStages
{
    public const string Sample = "sample", Score = "score";
    public const string Dispatched = "dispatched", Done = "done", Failed = "failed";
}
