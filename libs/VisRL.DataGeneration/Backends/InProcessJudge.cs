using VisRL.Modeling;

namespace VisRL.DataGeneration.Backends;

/// <summary>M_org in this process (<see cref="SelfCritic"/>); it fails no item.</summary>
public sealed class InProcessJudge(VisRLTiny judge) : IJudgeBackend
{
    public Task<JudgeScoring> ScoreAsync(IReadOnlyList<CriticInput> inputs, bool useBoxCritic, CancellationToken cancellationToken) =>
        Task.FromResult(new JudgeScoring(new SelfCritic(judge).Score(inputs, useBoxCritic), []));
}
