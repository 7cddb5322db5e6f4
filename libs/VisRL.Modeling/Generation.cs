using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.Modeling;

/// <summary>Decoding knobs. Temperature 0 is greedy; TopK 0 and TopP 1 turn those filters off.</summary>
public sealed record SamplingOptions
{
    public int MaxNewTokens { get; init; } = 8;
    public double Temperature { get; init; }
    public int TopK { get; init; }
    public double TopP { get; init; } = 1.0;
    /// <summary>Stop token; null = the tokenizer's &lt;eos&gt;.</summary>
    public int? StopToken { get; init; }
    public bool UseKvCache { get; init; } = true;

    public static SamplingOptions Greedy { get; } = new();
}

/// <summary>Tokens generated for one request (stop token excluded) and whether the stop token ended it.</summary>
public sealed record GenerationResult(int[] Tokens, bool Stopped);

/// <summary>Restricts the tokens allowed at each step (e.g. well-formed boxes).</summary>
public interface ITokenConstraint
{
    /// <summary>Allowed ids at this step given the tokens generated so far; null = no restriction.</summary>
    bool[]? Allowed(IReadOnlyList<int> generated);
}

/// <summary>A box: x1, y1 (any location), x2 ≥ x1, y2 ≥ y1 (a location token of at least the start bin), then the stop token.</summary>
public sealed class BoxConstraint(Tokenizer tokenizer) : ITokenConstraint
{
    public bool[]? Allowed(IReadOnlyList<int> generated)
    {
        var allowed = new bool[tokenizer.VocabSize];
        int step = generated.Count;
        if (step >= 4)
        {
            allowed[tokenizer.EosId] = true;
            return allowed;
        }
        int from = step >= 2 ? generated[step - 2] - tokenizer.FirstLocId : 0;
        for (int bin = from; bin < tokenizer.LocationBins; bin++) allowed[tokenizer.FirstLocId + bin] = true;
        return allowed;
    }
}

/// <summary>
/// Batched autoregressive decoding. Sampling happens in C# on each request's own
/// <see cref="Random"/> (seeded per request), so a request's tokens do not depend on which other
/// requests share its batch. With the KV cache the prompt is run once and each step feeds one
/// column; without it every step re-runs the whole sequence (the reference the tests compare to).
/// </summary>
public static class Generation
{
    public static IReadOnlyList<GenerationResult> Generate(TinyVlm model, Tokenizer tokenizer, IReadOnlyList<TokenSequence> prompts,
        IReadOnlyList<int> seeds, SamplingOptions options, ITokenConstraint? constraint = null)
    {
        if (seeds.Count != prompts.Count) throw new ArgumentException($"{prompts.Count} prompts but {seeds.Count} seeds");
        if (prompts.Count == 0) return [];
        int b = prompts.Count, stop = options.StopToken ?? tokenizer.EosId;
        var rngs = seeds.Select(s => new Random(s)).ToArray();
        var generated = Enumerable.Range(0, b).Select(_ => new List<int>()).ToArray();
        var stopped = new bool[b];
        int maxNew = Math.Min(options.MaxNewTokens, model.Config.MaxSequence - prompts.Max(p => p.Length));
        using var noGrad = no_grad();
        using var cache = options.UseKvCache ? new KvCache(model.Config.Layers) : null;
        int[] padding = [];
        int width = 0;
        long[]? cells = null; // the focus cell each row's box starts from, drawn once per request
        for (int step = 0; step < maxNew && !stopped.All(s => s); step++)
        {
            using var scope = NewDisposeScope();
            Tensor logits;
            if (cache is null || step == 0)
            {
                var sequences = prompts.Select((p, i) => p.Append(generated[i])).ToList();
                var batch = Batch.Build(sequences, model.Config, tokenizer.PadId, model.Device);
                (padding, width) = (batch.Padding, batch.Width);
                var input = batch.Input;
                if (input.Focus is { } focus)
                {
                    cells ??= FocusCells(model, input, options, rngs);
                    input = input with { Focus = focus with { Cell = tensor(cells, [b], model.Device) } };
                }
                logits = model.forward(input, cache);
            }
            else
            {
                var last = generated.Select(g => (long)g[^1]).ToArray();
                logits = model.forward(Batch.Step(last, padding, width + step - 1, model.Device), cache);
            }
            var rows = logits.narrow(1, logits.size(1) - 1, 1).squeeze(1).to(ScalarType.Float32).cpu().contiguous().ToArray<float>();
            int v = (int)logits.size(2);
            for (int r = 0; r < b; r++)
            {
                if (stopped[r])
                {
                    generated[r].Add(stop); // filler keeps the columns aligned; not reported
                    continue;
                }
                var row = rows.AsSpan(r * v, v).ToArray();
                int token = Sample(row, options, constraint?.Allowed(generated[r]), rngs[r]);
                generated[r].Add(token);
                if (token == stop) stopped[r] = true;
            }
        }
        return [.. generated.Select((g, r) =>
        {
            int end = g.IndexOf(stop);
            return new GenerationResult(end < 0 ? [.. g] : [.. g.Take(end)], end >= 0);
        })];
    }

    /// <summary>
    /// The focus cell of each row: the given box's where the prompt has one, else for a row that asks
    /// for a box (its latent first step) a draw from the focus head's logits like a token's
    /// (temperature, top-k, top-p, the request's own generator; argmax at temperature 0); -1 for
    /// rows without a box turn.
    /// </summary>
    private static long[] FocusCells(TinyVlm model, ModelInput input, SamplingOptions options, Random[] rngs)
    {
        var focus = input.Focus!;
        var given = focus.Cell.cpu().ToArray<long>();
        var asking = focus.Assistant.cpu().ToArray<long>().Select((a, r) => a >= 0 && given[r] < 0).ToArray();
        // Greedy: -1 lets the forward take the argmax cell from the head pass it runs anyway.
        if (!asking.Any(a => a) || options.Temperature <= 0) return given;
        var logits = model.FocusLogits(input).to(ScalarType.Float32).cpu().contiguous();
        int n = (int)logits.size(1);
        var rows = logits.ToArray<float>();
        return [.. given.Select((cell, r) => asking[r] ? Sample(rows.AsSpan(r * n, n).ToArray(), options, null, rngs[r]) : cell)];
    }

    /// <summary>One token from a row of logits: constraint, then temperature, top-k, top-p, then a draw (or argmax at temperature 0).</summary>
    public static int Sample(float[] logits, SamplingOptions options, bool[]? allowed, Random rng)
    {
        if (allowed is not null)
            for (int i = 0; i < logits.Length; i++)
                if (!allowed[i]) logits[i] = float.NegativeInfinity;
        if (options.Temperature <= 0)
        {
            int best = 0;
            for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }
        var order = Enumerable.Range(0, logits.Length).Where(i => !float.IsNegativeInfinity(logits[i])).OrderByDescending(i => logits[i]).ToArray();
        if (options.TopK > 0 && order.Length > options.TopK) order = order[..options.TopK];
        double max = logits[order[0]];
        var probs = order.Select(i => Math.Exp((logits[i] - max) / options.Temperature)).ToArray();
        double total = probs.Sum();
        int keep = probs.Length;
        if (options.TopP < 1.0)
        {
            double cumulative = 0;
            for (int i = 0; i < probs.Length; i++)
            {
                cumulative += probs[i] / total;
                if (cumulative >= options.TopP) { keep = i + 1; break; }
            }
        }
        double kept = probs.Take(keep).Sum(), u = rng.NextDouble() * kept;
        for (int i = 0; i < keep; i++)
        {
            u -= probs[i];
            if (u <= 0) return order[i];
        }
        return order[keep - 1];
    }
}
