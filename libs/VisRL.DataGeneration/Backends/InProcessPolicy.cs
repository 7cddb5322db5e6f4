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

    public Task<IReadOnlyList<BoxReply>> BoxesAsync(IReadOnlyList<BoxAsk> asks, double temperature, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<BoxReply>>(Chunked(asks, chunk => model.GenerateBox(
                [.. chunk.Select(a => new BoxRequest(a.Item.Scene, a.Item.Question, a.Seed))], Options(temperature), constrained: true)
            .Select(o => new BoxReply(o.Text, o.Box))));

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
