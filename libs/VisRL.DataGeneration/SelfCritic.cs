using VisRL.Method.Answers;
using VisRL.Method.Critique;
using VisRL.Modeling;

namespace VisRL.DataGeneration;

/// <summary>
/// Self-critique by the original model M_org (DESIGN.md §1): s_r = the candidate's answer matched
/// against the standard answer; s_b = the judge's probability of the standard answer given only the
/// crop of the candidate's box and the question. Each score is validated with
/// <see cref="CriticScore.Check"/>; an invalid one is stored as missing with the reason.
/// </summary>
public sealed class SelfCritic(VisRLTiny judge)
{
    public const string NoBox = "no box to crop";

    public IReadOnlyList<CriticResult> Score(IReadOnlyList<CriticInput> inputs, bool useBoxCritic)
    {
        var boxScores = useBoxCritic ? BoxScores(inputs) : new (double? Value, string? Error)[inputs.Count];
        return [.. inputs.Select((input, i) =>
        {
            var answer = CriticScore.CheckAnswer(AnswerMatch.Score(input.Answer, input.StandardAnswer));
            var box = useBoxCritic ? CriticScore.CheckBox(boxScores[i].Value) : new ScoreCheck(CriticScore.BoxScoreName, null, null);
            var errors = new[] { answer.Error, boxScores[i].Error ?? box.Error }.OfType<string>().ToList();
            return new CriticResult(input.CandidateId, answer.Value, box.Value, errors.Count == 0 ? null : string.Join("; ", errors));
        })];
    }

    private (double? Value, string? Error)[] BoxScores(IReadOnlyList<CriticInput> inputs)
    {
        var results = new (double? Value, string? Error)[inputs.Count];
        var views = new List<(int Index, ViewItem View)>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            if (input.Box is not { } box) { results[i] = (null, $"{CriticScore.BoxScoreName}: {NoBox}"); continue; }
            if (Unreadable(input) is { } reason) { results[i] = (null, $"{CriticScore.BoxScoreName}: {reason}"); continue; }
            views.Add((i, new ViewItem(judge.CropView(input.Scene, box), input.Question, input.StandardAnswer)));
        }
        if (views.Count == 0) return results;
        var probabilities = judge.AnswerProbability([.. views.Select(v => v.View)]);
        for (int j = 0; j < views.Count; j++) results[views[j].Index] = (probabilities[j], null);
        return results;
    }

    /// <summary>The judge's closed vocabulary cannot read every text; such an item gets a reason instead of failing the batch.</summary>
    private string? Unreadable(CriticInput input)
    {
        try
        {
            judge.Tokenizer.Encode(input.Question);
            judge.Tokenizer.Encode(input.StandardAnswer);
            return null;
        }
        catch (UnknownTokenException e)
        {
            return $"the judge cannot read the question or standard answer: {e.Message}";
        }
    }
}
