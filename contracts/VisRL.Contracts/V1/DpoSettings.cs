namespace VisRL.Contracts.V1;

/// <summary>
/// Step-level DPO settings for the Trainer (TrainStage.ConfigJson of the DPO stages). Defaults follow
/// DESIGN.md §1 (sigmoid DPO, β = 0.1, λ_B = λ_R = 0.5, seed 88, cosine schedule with 10 % warmup);
/// learning rate and epochs are sized for VisRL-Tiny trained in full (the reference trains LoRA at 5e-6).
/// </summary>
/// <param name="Reference">"precomputed": the start policy's log-probs computed once and stored in reference_log_probs (one model in memory); "frozen": a frozen copy of the start policy.</param>
/// <param name="SftWeight">Weight of an optional NLL term on the chosen responses; 0 = pure DPO.</param>
/// <param name="Schedule">"cosine" (warmup, then cosine decay to 5 %) or "constant" (warmup, then flat).</param>
/// <param name="CheckpointEvery">Optimizer steps between resumable checkpoints in blob storage; 0 = four per stage.</param>
/// <param name="RejectedAnswerContext">Stage 2's answer term: "own" conditions the loser's answer on the loser's box and crop (the whole rejected trajectory, as the reference code's conversations); "chosen" on the winner's, so the two answers are compared in the same context.</param>
public sealed record DpoSettings(
    double Beta = 0.1,
    double BoxWeight = 0.5,
    double AnswerWeight = 0.5,
    double SftWeight = 0,
    string Reference = "precomputed",
    double LearningRate = 2e-4,
    double WarmupRatio = 0.1,
    double Epochs = 2,
    int BatchSize = 8,
    int GradAccumulation = 1,
    double ClipNorm = 1.0,
    int CheckpointEvery = 0,
    int Seed = 88,
    string Schedule = "cosine",
    string RejectedAnswerContext = "own");
