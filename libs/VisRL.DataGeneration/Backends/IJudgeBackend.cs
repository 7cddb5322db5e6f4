using VisRL.Data;

namespace VisRL.DataGeneration.Backends;

/// <summary>
/// The judge of self-critique (DESIGN.md §1): s_r and s_b per candidate. In-process M_org or an
/// OpenAI-compatible endpoint. A score that cannot be had is a result with its reason
/// (<see cref="CriticResult.Error"/>); <see cref="JudgeScoring.Failed"/> lists the items for which the
/// judge could not be reached at all (after its retries).
/// </summary>
public interface IJudgeBackend
{
    Task<JudgeScoring> ScoreAsync(IReadOnlyList<CriticInput> inputs, bool useBoxCritic, CancellationToken cancellationToken);
}

/// <summary>
/// Scores of the items the judge answered, and the items it could not (with the reason). An item
/// with any unanswered candidate keeps none of its scores: the pair rule compares an item's
/// candidates with each other, so a part of them would bias it.
/// </summary>
public sealed record JudgeScoring(IReadOnlyList<CriticResult> Results, IReadOnlyList<ItemLoadFailure> Failed);
