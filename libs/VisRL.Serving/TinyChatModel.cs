using System.Globalization;
using VisRL.DataGeneration.Backends;
using VisRL.Method.Answers;
using VisRL.Modeling;

namespace VisRL.Serving;

/// <summary>
/// Runs a <see cref="ModelTask"/> on VisRL-Tiny, one request at a time (tensor work is CPU/GPU bound;
/// the n choices of a request run as one batch). Choice i uses seed + i (a random seed without one),
/// so a request with a seed gives exactly what the in-process sampler draws with that seed.
/// Boxes are printed at full precision (<see cref="BoxTexts.Exact"/>: the location-token bin edges,
/// not rounded to 3 decimals) so a client crops exactly the model's box. Words outside the tiny
/// vocabulary read as &lt;unk&gt; for the policy turns; the s_b judge instead declines with a reason
/// (as the in-process critic does), which the HTTP critic records as an unparseable reply.
/// </summary>
public sealed class TinyChatModel(VisRLTiny model)
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    public VisRLTiny Model => model;

    /// <exception cref="ArgumentException">The prompt does not fit the model (too long, unreadable box text).</exception>
    public async Task<CompletionSet> CompleteAsync(ModelTask task, ChatRequest request, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            return Run(task, request);
        }
        finally
        {
            _lock.Release();
        }
    }

    private CompletionSet Run(ModelTask task, ChatRequest request)
    {
        var seeds = Enumerable.Range(0, request.N).Select(i => request.Seed is { } s ? unchecked(s + i) : Random.Shared.Next()).ToList();
        var options = new SamplingOptions { Temperature = request.Temperature, TopP = request.TopP, MaxNewTokens = request.MaxTokens ?? SamplingOptions.Greedy.MaxNewTokens };
        int size = model.Config.ImageSize;
        switch (task)
        {
            case BoxTask box:
            {
                var question = Readable(box.Question);
                var outputs = model.GenerateBox([.. seeds.Select(s => new BoxRequest(box.Scene, question, s))], options, constrained: true);
                return new CompletionSet([.. outputs.Select(o => new Completion(o.Box is { } b ? BoxTexts.Exact(b) : o.Text, "stop", o.Tokens.Length))],
                    model.Protocol.BoxTurn(model.GlobalView(box.Scene), question).Length);
            }
            case AnswerTask answer:
            {
                var question = Readable(answer.Question);
                var crop = Views.Global(answer.Crop, size);
                var texts = model.GenerateAnswer([.. seeds.Select(s => new AnswerRequest(answer.Scene, question, answer.Box, s, crop))], options);
                return new CompletionSet([.. texts.Select(t => Choice(t, options))],
                    model.Protocol.AnswerTurn(model.GlobalView(answer.Scene), question, answer.Box, crop).Length);
            }
            case NoCotTask direct:
            {
                var question = Readable(direct.Question);
                var texts = model.GenerateAnswerNoCot([.. seeds.Select(s => (direct.Image, question, s))], options);
                return new CompletionSet([.. texts.Select(t => Choice(t, options))], model.Protocol.NoCot(model.GlobalView(direct.Image), question).Length);
            }
            case AnswerScoreTask s_r:
                return Repeat(Score(AnswerMatch.Score(s_r.Answer, s_r.StandardAnswer)), request.N, 0);
            case BoxScoreTask s_b:
            {
                if (Unreadable(s_b.Question, s_b.StandardAnswer) is { } reason) return Repeat($"No s_b: the judge cannot read the question or standard answer ({reason}).", request.N, 0);
                var view = Views.Global(s_b.Crop, size);
                var probability = model.AnswerProbability([new ViewItem(view, s_b.Question, s_b.StandardAnswer)])[0];
                return Repeat(Score(probability), request.N, model.Protocol.NoCot(view, s_b.Question).Length);
            }
            default:
                throw new ArgumentException($"unknown task {task.GetType().Name}");
        }
    }

    private Completion Choice(string text, SamplingOptions options)
    {
        int tokens = Count(text) + 1; // + the stop token when it stopped; a cut answer has exactly MaxNewTokens
        return tokens > options.MaxNewTokens ? new Completion(text, "length", options.MaxNewTokens) : new Completion(text, "stop", tokens);
    }

    private static CompletionSet Repeat(string text, int n, int promptTokens) =>
        new([.. Enumerable.Repeat(new Completion(text, "stop", 1), n)], promptTokens);

    /// <summary>The reply the judge prompts ask for, at full precision (so the HTTP critic stores the in-process value).</summary>
    public static string Score(double value) => $"{{\"score\": {value.ToString("R", CultureInfo.InvariantCulture)}}}";

    private int Count(string text)
    {
        try { return model.Tokenizer.Encode(text, allowUnknown: true).Length; }
        catch (FormatException) { return text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length; }
    }

    /// <summary>The text as the tiny vocabulary reads it: unchanged when every word is known, else unknown words as &lt;unk&gt;.</summary>
    private string Readable(string text)
    {
        try
        {
            model.Tokenizer.Encode(text);
            return text;
        }
        catch (UnknownTokenException)
        {
            return model.Tokenizer.Decode(model.Tokenizer.Encode(text, allowUnknown: true));
        }
    }

    private string? Unreadable(params string[] texts)
    {
        try
        {
            foreach (var text in texts) model.Tokenizer.Encode(text);
            return null;
        }
        catch (UnknownTokenException e)
        {
            return e.Message;
        }
    }
}
