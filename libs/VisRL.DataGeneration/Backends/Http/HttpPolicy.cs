using VisRL.Imaging.Geometry;
using VisRL.Modeling;

namespace VisRL.DataGeneration.Backends.Http;

/// <summary>
/// A policy behind an OpenAI-compatible endpoint, prompted as the reference pipeline prompts it
/// (<see cref="PolicyPrompts"/>): turn 1 asks for the box; the crop is cut here
/// (<see cref="Views.CropRegion"/>); turn 2 sends the conversation with both images and asks for the answer.
/// Each request carries its candidate's seed. Requests run concurrently (the endpoint's gate limits
/// them); a request that fails after its retries fails its reply, not the batch, unless every request
/// of the call failed as an unreachable or overloaded endpoint does (<see cref="EndpointDown"/>). The endpoint gives
/// no log-probs: candidates keep null box/answer log-probs.
/// </summary>
public sealed class HttpPolicy(ChatClient chat) : IPolicyBackend
{
    public async Task<IReadOnlyList<BoxReply>> BoxesAsync(IReadOnlyList<BoxAsk> asks, double temperature, CancellationToken cancellationToken)
    {
        var outcomes = await EndpointDown.AskEachAsync(asks, async ask =>
        {
            var text = await chat.CompleteAsync(PolicyPrompts.BoxTurn(ask.Item.Scene, ask.Item.Question), temperature, ask.Seed, cancellationToken);
            var parsed = BoxParser.Parse(text, ask.Item.Scene.Width, ask.Item.Scene.Height);
            return parsed.Success ? new BoxReply(text, parsed.Box) : new BoxReply(text, null, parsed.FailureReason);
        });
        return [.. outcomes.Select(o => o.Failure is { } e ? BoxReply.Failed(e.Message) : o.Result!)];
    }

    public async Task<IReadOnlyList<AnswerReply>> AnswersAsync(IReadOnlyList<AnswerAsk> asks, double temperature, CancellationToken cancellationToken)
    {
        var outcomes = await EndpointDown.AskEachAsync(asks, async ask =>
        {
            var messages = PolicyPrompts.AnswerTurn(ask.Item.Scene, ask.Item.Question, ask.BoxText, Views.CropRegion(ask.Item.Scene, ask.Box));
            return new AnswerReply(await chat.CompleteAsync(messages, temperature, ask.Seed, cancellationToken));
        });
        return [.. outcomes.Select(o => o.Failure is { } e ? new AnswerReply("", e.Message) : o.Result!)];
    }

    public Task<IReadOnlyList<CandidateLogProbs>> LogProbsAsync(IReadOnlyList<(AnswerAsk Ask, string Answer)> answered, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CandidateLogProbs>>([.. answered.Select(_ => new CandidateLogProbs(null, null))]);
}
