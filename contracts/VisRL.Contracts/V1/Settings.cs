namespace VisRL.Contracts.V1;

/// <summary>How the Sampler draws candidates (DESIGN.md §1). Defaults follow the reference code.</summary>
public sealed record SamplingSettings(
    int Attempts = 3,
    double Temperature = 2.0,
    bool DiversityController = true,
    double DiversityIouThreshold = 0.05,
    int Seed = 88);

/// <summary>
/// The pair rule's thresholds: keep an item when max s_r ≥ MaxAnswer, min s_r ≤ MinAnswer and
/// max ≠ min; the winner needs s_b ≥ MaxBox, the loser s_b ≤ MinBox (unless the box critic is off).
/// </summary>
public sealed record FilterThresholds(
    double MaxAnswer = 0.8,
    double MinAnswer = 0.2,
    double MaxBox = 0.8,
    double MinBox = 0.2,
    bool UseBoxCritic = true,
    int PairsPerItem = 1);

/// <summary>The training stages a Trainer runs.</summary>
public enum TrainingStage
{
    /// <summary>M_org: the base model without CoT, on scenes at several zoom levels.</summary>
    Base,
    /// <summary>SFT warm-up with boxes, two-turn targets.</summary>
    Sft,
    /// <summary>DPO stage 1: preference on the box tokens.</summary>
    DpoBox,
    /// <summary>DPO stage 2: λ_B·L_box + λ_R·L_answer.</summary>
    DpoBoxAnswer,
}
