using VisRL.Platform.Persistence.Entities;

namespace VisRL.Orchestrator;

/// <summary>Where a failed iteration is taken up again (ResumeIteration).</summary>
public enum ResumePoint
{
    /// <summary>Rejected before it planned a batch (a bad config, an unknown dataset or checkpoint): nothing to take up.</summary>
    None,
    /// <summary>Failed before it had pairs: its failed batches go out again, then the filter runs.</summary>
    DataGeneration,
    /// <summary>Failed in DPO stage 1 (the job goes on from its last checkpoint).</summary>
    BoxStage,
    /// <summary>Failed in DPO stage 2, or stage 1's evaluation failed meanwhile.</summary>
    AnswerStage,
    /// <summary>Failed evaluating the new checkpoints.</summary>
    Evaluation,
}

public static class ResumePoints
{
    /// <summary>
    /// Read from what the iteration recorded, not from the stage its failure named: each stage's outcome
    /// (batches, pair set, checkpoints) is written before the next stage starts, so the first one missing
    /// is where it stopped.
    /// </summary>
    public static ResumePoint Of(Iteration iteration) => iteration switch
    {
        { BatchCount: 0 } => ResumePoint.None,
        { PairSetId: null } => ResumePoint.DataGeneration,
        { BoxCheckpoint: null } => ResumePoint.BoxStage,
        { OutputCheckpoint: null } => ResumePoint.AnswerStage,
        _ => ResumePoint.Evaluation,
    };
}
