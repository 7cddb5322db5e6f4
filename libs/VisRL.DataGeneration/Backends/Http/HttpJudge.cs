using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Method.Critique;
using VisRL.Modeling;

namespace VisRL.DataGeneration.Backends.Http;

/// <summary>
/// A judge behind an OpenAI-compatible endpoint (<see cref="JudgePrompts"/>, temperature 0): s_r from
/// the question, standard answer and candidate answer; s_b from the crop alone (cut here), the question
/// and the standard answer. A reply that does not read as a score (<see cref="ScoreReply"/>) or lies
/// outside [0, 1] is stored as a missing score with the reason and the raw reply; an item whose
/// requests fail after their retries is reported failed and keeps no scores (or, when no item was
/// scored because the endpoint is down, the batch fails: <see cref="EndpointDown"/>).
/// </summary>
public sealed class HttpJudge(ChatClient chat) : IJudgeBackend
{
    public async Task<JudgeScoring> ScoreAsync(IReadOnlyList<CriticInput> inputs, bool useBoxCritic, CancellationToken cancellationToken)
    {
        var outcomes = await EndpointDown.AskEachAsync(inputs, input => ScoreOneAsync(input, useBoxCritic, cancellationToken));
        var failed = new Dictionary<long, string>();
        for (int i = 0; i < inputs.Count; i++)
            if (outcomes[i].Failure is { } failure) failed.TryAdd(inputs[i].ItemId, failure.Message);
        var results = new List<CriticResult>(inputs.Count);
        for (int i = 0; i < inputs.Count; i++)
            if (outcomes[i].Result is { } result && !failed.ContainsKey(inputs[i].ItemId)) results.Add(result);
        return new JudgeScoring(results, [.. failed.Select(f => new ItemLoadFailure(f.Key, f.Value))]);
    }

    private async Task<CriticResult> ScoreOneAsync(CriticInput input, bool useBoxCritic, CancellationToken cancellationToken)
    {
        var answerReply = await chat.CompleteAsync(JudgePrompts.AnswerScore(input.Question, input.StandardAnswer, input.Answer), 0, 0, cancellationToken);
        var answer = Check(CriticScore.AnswerScoreName, answerReply);
        var raw = new List<string> { $"{CriticScore.AnswerScoreName}: {answerReply}" };
        (double? Value, string? Error) box = (null, null);
        if (useBoxCritic)
        {
            if (input.Box is not { } b) box = (null, $"{CriticScore.BoxScoreName}: {SelfCritic.NoBox}");
            else
            {
                var boxReply = await chat.CompleteAsync(JudgePrompts.BoxScore(Views.CropRegion(input.Scene, b), input.Question, input.StandardAnswer), 0, 0, cancellationToken);
                raw.Add($"{CriticScore.BoxScoreName}: {boxReply}");
                box = Check(CriticScore.BoxScoreName, boxReply);
            }
        }
        var errors = new[] { answer.Error, box.Error }.OfType<string>().ToList();
        return new CriticResult(input.CandidateId, answer.Value, box.Value, errors.Count == 0 ? null : string.Join("; ", errors), string.Join('\n', raw));
    }

    /// <summary>The reply read as a score and validated; the error names the score and the reason.</summary>
    private static (double? Value, string? Error) Check(string name, string reply)
    {
        var parsed = ScoreReply.Parse(reply);
        if (parsed.Value is null) return (null, $"{name}: reply is not a score: {parsed.Reason}");
        var check = CriticScore.Check(name, parsed.Value);
        return (check.Value, check.Error);
    }
}
