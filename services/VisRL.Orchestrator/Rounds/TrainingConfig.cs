using VisRL.Contracts.V1;

namespace VisRL.Orchestrator.Rounds;

/// <summary>
/// What an iteration does after its pairs (RoundConfig.Training): DPO stage 1 and stage 2 with
/// <see cref="Dpo"/>, then evaluation of both new checkpoints on <see cref="EvalSplit"/> (two-turn CoT).
/// </summary>
public sealed record TrainingConfig
{
    public DpoSettings Dpo { get; init; } = new();

    /// <summary>The dataset evaluated; null = the round's own dataset.</summary>
    public string? EvalDataset { get; init; }
    public string EvalSplit { get; init; } = "test";

    /// <summary>The first N items of the evaluation split; null = all.</summary>
    public int? EvalItems { get; init; }
}
