using VisRL.Contracts.V1;
using VisRL.Imaging.Geometry;
using VisRL.Method.Diversity;
using VisRL.Modeling;

namespace VisRL.DataGeneration;

/// <summary>
/// Self-evolution sampling (DESIGN.md §1): per item, K attempts; each attempt yields the policy's own
/// box and a second sampled box passed through the diversity controller (or kept as the plain
/// resample when the controller is off — the ablation). Every candidate with a box then gets an
/// answer from image + crop at the same temperature; box and answer log-probs are recorded for DPO.
/// All randomness comes from <see cref="SampleSeeds"/>, so the same settings give the same candidates.
/// </summary>
public sealed class CandidateSampler(VisRLTiny model)
{
    private const string OwnPurpose = "own", SecondPurpose = "second", DiversityPurpose = "diversity", AnswerPurpose = "answer";

    /// <summary>Rows per model call; keeps peak memory flat for large batches.</summary>
    public int ChunkSize { get; init; } = 64;

    public IReadOnlyList<SampledCandidate> Sample(IReadOnlyList<SampleItem> items, SamplingSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Attempts, 1, nameof(settings.Attempts));
        var options = new SamplingOptions { Temperature = settings.Temperature };
        var diversity = DiversityOptions.Default with { IouThreshold = settings.DiversityIouThreshold };
        var slots = items.SelectMany(item => Enumerable.Range(0, settings.Attempts).Select(attempt => (Item: item, Attempt: attempt))).ToList();

        var own = GenerateBoxes(slots.Select(s => new BoxRequest(s.Item.Scene, s.Item.Question, SampleSeeds.For(settings.Seed, s.Item.ItemId, s.Attempt, OwnPurpose))).ToList(), options);
        var second = GenerateBoxes(slots.Select(s => new BoxRequest(s.Item.Scene, s.Item.Question, SampleSeeds.For(settings.Seed, s.Item.ItemId, s.Attempt, SecondPurpose))).ToList(), options);

        var drafts = new List<Draft>(slots.Count * 2);
        for (int i = 0; i < slots.Count; i++)
        {
            var (item, attempt) = slots[i];
            drafts.Add(Draft.From(item, attempt, CandidateKinds.Own, own[i].Text, own[i].Box, null));
            if (settings.DiversityController && own[i].Box is { } first)
            {
                var choice = DiversityController.Choose(first, second[i].Box, SampleSeeds.Derive(settings.Seed, item.ItemId, attempt, DiversityPurpose), diversity);
                var text = choice.Outcome == DiversityOutcome.Kept ? second[i].Text : choice.Box?.ToString() ?? "";
                drafts.Add(choice.Box is { } b
                    ? new Draft(item, attempt, CandidateKinds.Diverse, text, b, null, choice)
                    : new Draft(item, attempt, CandidateKinds.Diverse, text, null, $"diversity controller: {choice.Reason ?? choice.Outcome.ToString()}", choice));
            }
            else
            {
                // The ablation (or an own box that did not parse, so there is nothing to contrast with): the plain resample.
                drafts.Add(Draft.From(item, attempt, CandidateKinds.Diverse, second[i].Text, second[i].Box, null));
            }
        }

        var boxed = drafts.Where(d => d.Box is not null).ToList();
        var answers = Chunked(boxed, chunk => model.GenerateAnswer(
            [.. chunk.Select(d => new AnswerRequest(d.Item.Scene, d.Item.Question, d.Box!.Value, SampleSeeds.For(settings.Seed, d.Item.ItemId, d.Attempt, $"{AnswerPurpose}/{d.Kind}")))], options));
        var boxLogProbs = Chunked(boxed, chunk => model.BoxLogProbValues([.. chunk.Select(d => new BoxItem(d.Item.Scene, d.Item.Question, d.Box!.Value))]));
        var answerLogProbs = Chunked(boxed.Select((d, i) => new AnswerItem(d.Item.Scene, d.Item.Question, d.Box!.Value, answers[i])).ToList(), AnswerLogProbs);

        var byDraft = boxed.Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i);
        return [.. drafts.Select(d => byDraft.TryGetValue(d, out int i)
            ? new SampledCandidate(d.Item.ItemId, d.Attempt, d.Kind, d.Text, d.Box, null, answers[i], boxLogProbs[i], answerLogProbs[i], d.Diversity)
            : new SampledCandidate(d.Item.ItemId, d.Attempt, d.Kind, d.Text, null, d.Error, "", null, null, d.Diversity))];
    }

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

    private IReadOnlyList<BoxOutput> GenerateBoxes(IReadOnlyList<BoxRequest> requests, SamplingOptions options) =>
        Chunked(requests, chunk => model.GenerateBox(chunk, options, constrained: true));

    private List<TOut> Chunked<TIn, TOut>(IReadOnlyList<TIn> inputs, Func<TIn[], IEnumerable<TOut>> run)
    {
        var result = new List<TOut>(inputs.Count);
        foreach (var chunk in inputs.Chunk(ChunkSize)) result.AddRange(run(chunk));
        return result;
    }

    // Reference equality: two drafts are distinct slots even when their fields coincide.
    private sealed class Draft(SampleItem item, int attempt, string kind, string text, Box? box, string? error, DiversityChoice? diversity)
    {
        public SampleItem Item { get; } = item;
        public int Attempt { get; } = attempt;
        public string Kind { get; } = kind;
        public string Text { get; } = text;
        public Box? Box { get; } = box;
        public string? Error { get; } = error;
        public DiversityChoice? Diversity { get; } = diversity;

        public static Draft From(SampleItem item, int attempt, string kind, string text, Box? box, DiversityChoice? diversity) =>
            new(item, attempt, kind, text, box, box is null ? $"not a box: '{text}'" : null, diversity);
    }
}
