using VisRL.Modeling;

namespace VisRL.DataGeneration.Backends;

/// <summary>
/// VisRL-Tiny in this process: batched, constrained box decoding (only well-formed boxes), answers
/// from image + crop, and the box/answer log-probs DPO needs. Every call completes synchronously,
/// so it can run inside <see cref="ModelCache.UseAsync{T}"/>'s lock.
/// </summary>
public sealed class InProcessPolicy(VisRLTiny model) : IPolicyBackend
{
    /// <summary>Rows per model call; keeps peak memory flat for large batches.</summary>
    public int ChunkSize { get; init; } = 64;

    /// <summary>Boxes for the asks whose question the policy can read; the others fail with the reason (the item goes to work_failures, the rest of the batch goes on).</summary>
    public Task<IReadOnlyList<BoxReply>> BoxesAsync(IReadOnlyList<BoxAsk> asks, double temperature, CancellationToken cancellationToken)
    {
        var replies = asks.Select(a => Unreadable(a.Item.Question) is { } why ? BoxReply.Failed(why) : null).ToArray();
        var readable = Enumerable.Range(0, asks.Count).Where(i => replies[i] is null).ToList();
        var boxes = Chunked(readable, chunk => model.GenerateBox(
                [.. chunk.Select(i => new BoxRequest(asks[i].Item.Scene, asks[i].Item.Question, asks[i].Seed))], Options(temperature), constrained: true)
            .Select(o => new BoxReply(o.Text, o.Box)));
        for (int j = 0; j < readable.Count; j++) replies[readable[j]] = boxes[j];
        return Task.FromResult<IReadOnlyList<BoxReply>>(replies!);
    }

    /// <summary>VisRL-Tiny's vocabulary is closed: an imported question may hold a word it has never seen.</summary>
    private string? Unreadable(string question)
    {
        try
        {
            model.Tokenizer.Encode(question);
            return null;
        }
        catch (UnknownTokenException e)
        {
            return $"the policy cannot read the question: {e.Message}";
        }
    }

    public Task<IReadOnlyList<AnswerReply>> AnswersAsync(IReadOnlyList<AnswerAsk> asks, double temperature, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<AnswerReply>>(Chunked(asks, chunk => model.GenerateAnswer(
                [.. chunk.Select(a => new AnswerRequest(a.Item.Scene, a.Item.Question, a.Box, a.Seed))], Options(temperature))
            .Select(text => new AnswerReply(text))));

    public Task<IReadOnlyList<CandidateLogProbs>> LogProbsAsync(IReadOnlyList<(AnswerAsk Ask, string Answer)> answered, CancellationToken cancellationToken)
    {
        var boxes = Chunked(answered, chunk => model.BoxLogProbValues([.. chunk.Select(a => new BoxItem(a.Ask.Item.Scene, a.Ask.Item.Question, a.Ask.Box))]));
        var answers = Chunked(answered.Select(a => new AnswerItem(a.Ask.Item.Scene, a.Ask.Item.Question, a.Ask.Box, a.Answer)).ToList(), AnswerLogProbs);
        return Task.FromResult<IReadOnlyList<CandidateLogProbs>>([.. boxes.Select((b, i) => new CandidateLogProbs(b, answers[i]))]);
    }

    private static SamplingOptions Options(double temperature) => new() { Temperature = temperature };

    /// <summary>
    /// A high-temperature answer may hold tokens that cannot stand in an answer turn (an &lt;image&gt;
    /// marker, a stray special): such an answer keeps no log-prob (null) instead of failing the batch.
    /// </summary>
    private IEnumerable<double?> AnswerLogProbs(AnswerItem[] chunk)
    {
        try
        {
            return model.AnswerLogProbValues(chunk).Select(v => (double?)v);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UnknownTokenException)
        {
            return chunk.Length == 1 ? [null] : chunk.SelectMany(item => AnswerLogProbs([item])).ToList();
        }
    }

    private List<TOut> Chunked<TIn, TOut>(IReadOnlyList<TIn> inputs, Func<TIn[], IEnumerable<TOut>> run)
    {
        var result = new List<TOut>(inputs.Count);
        foreach (var chunk in inputs.Chunk(ChunkSize)) result.AddRange(run(chunk));
        return result;
    }
}
