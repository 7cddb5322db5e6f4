using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.DataGeneration.Backends;
using VisRL.Imaging.Geometry;
using VisRL.Method.Diversity;
using VisRL.Modeling;

namespace VisRL.DataGeneration;

/// <summary>
/// Self-evolution sampling (DESIGN.md §1): per item, K attempts; each attempt yields the policy's own
/// box and a second sampled box passed through the diversity controller (or kept as the plain
/// resample when the controller is off — the ablation). Every candidate with a box then gets an
/// answer from image + crop at the same temperature (once: unlike the reference code, a candidate is
/// never generated twice); box and answer log-probs are recorded for DPO where the policy gives them.
/// All randomness comes from <see cref="SampleSeeds"/>, so the same settings give the same candidates
/// on any backend that honours seeds. An item the policy could not answer (an endpoint that failed
/// after its retries) yields no candidates and is reported in <see cref="SamplingResult.Failed"/>.
/// </summary>
public sealed class CandidateSampler(IPolicyBackend policy)
{
    private const string OwnPurpose = "own", SecondPurpose = "second", DiversityPurpose = "diversity", AnswerPurpose = "answer";

    /// <summary>VisRL-Tiny in this process.</summary>
    public CandidateSampler(VisRLTiny model) : this(new InProcessPolicy(model)) { }

    /// <summary>In-process convenience: the candidates only (an in-process policy fails no item).</summary>
    public IReadOnlyList<SampledCandidate> Sample(IReadOnlyList<SampleItem> items, SamplingSettings settings) =>
        SampleAsync(items, settings).GetAwaiter().GetResult().Candidates;

    public async Task<SamplingResult> SampleAsync(IReadOnlyList<SampleItem> items, SamplingSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Attempts, 1, nameof(settings.Attempts));
        var diversity = DiversityOptions.Default with { IouThreshold = settings.DiversityIouThreshold };
        var slots = items.SelectMany(item => Enumerable.Range(0, settings.Attempts).Select(attempt => (Item: item, Attempt: attempt))).ToList();
        var failed = new Dictionary<long, string>();

        var own = await policy.BoxesAsync([.. slots.Select(s => new BoxAsk(s.Item, SampleSeeds.For(settings.Seed, s.Item.ItemId, s.Attempt, OwnPurpose)))], settings.Temperature, cancellationToken);
        var second = await policy.BoxesAsync([.. slots.Select(s => new BoxAsk(s.Item, SampleSeeds.For(settings.Seed, s.Item.ItemId, s.Attempt, SecondPurpose)))], settings.Temperature, cancellationToken);
        for (int i = 0; i < slots.Count; i++)
            if ((own[i].Failure ?? second[i].Failure) is { } reason) failed.TryAdd(slots[i].Item.ItemId, reason);

        var drafts = new List<Draft>(slots.Count * 2);
        for (int i = 0; i < slots.Count; i++)
        {
            var (item, attempt) = slots[i];
            if (failed.ContainsKey(item.ItemId)) continue;
            drafts.Add(Draft.From(item, attempt, CandidateKinds.Own, own[i], null));
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
                drafts.Add(Draft.From(item, attempt, CandidateKinds.Diverse, second[i], null));
            }
        }

        var boxed = drafts.Where(d => d.Box is not null).ToList();
        var asks = boxed.Select(d => new AnswerAsk(d.Item, d.Box!.Value, ConversationBoxText(d),
            SampleSeeds.For(settings.Seed, d.Item.ItemId, d.Attempt, $"{AnswerPurpose}/{d.Kind}"))).ToList();
        var answers = await policy.AnswersAsync(asks, settings.Temperature, cancellationToken);
        for (int i = 0; i < boxed.Count; i++)
            if (answers[i].Failure is { } reason) failed.TryAdd(boxed[i].Item.ItemId, reason);

        var answered = Enumerable.Range(0, boxed.Count).Where(i => !failed.ContainsKey(boxed[i].Item.ItemId)).ToList();
        var logProbs = await policy.LogProbsAsync([.. answered.Select(i => (asks[i], answers[i].Text))], cancellationToken);
        var byDraft = answered.Select((i, j) => (Draft: boxed[i], Answer: answers[i].Text, LogProbs: logProbs[j])).ToDictionary(x => x.Draft);

        var candidates = drafts.Where(d => !failed.ContainsKey(d.Item.ItemId)).Select(d => byDraft.TryGetValue(d, out var a)
            ? new SampledCandidate(d.Item.ItemId, d.Attempt, d.Kind, d.Text, d.Box, null, a.Answer, a.LogProbs.Box, a.LogProbs.Answer, d.Diversity)
            : new SampledCandidate(d.Item.ItemId, d.Attempt, d.Kind, d.Text, null, d.Error, "", null, null, d.Diversity)).ToList();
        return new SamplingResult(candidates, [.. failed.Select(f => new ItemLoadFailure(f.Key, f.Value))]);
    }

    /// <summary>
    /// The box as turn 2's conversation states it. A box the model wrote goes back as written; a box the
    /// diversity controller drew goes back at full precision, so the policy is told exactly the box
    /// its crop was cut from (the 3-decimal form can round across a location-token bin edge).
    /// </summary>
    private static string ConversationBoxText(Draft d) =>
        d.Diversity is { Outcome: not DiversityOutcome.Kept } ? BoxTexts.Exact(d.Box!.Value) : d.Text;

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

        public static Draft From(SampleItem item, int attempt, string kind, BoxReply reply, DiversityChoice? diversity) =>
            new(item, attempt, kind, reply.Text, reply.Box,
                reply.Box is null ? $"not a box: '{reply.Text}'" + (reply.ParseError is { } why ? $" ({why})" : "") : null, diversity);
    }
}
