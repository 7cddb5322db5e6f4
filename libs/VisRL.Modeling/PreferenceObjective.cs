using VisRL.Imaging;
using VisRL.Imaging.Geometry;
using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.Modeling;

/// <summary>One preference pair for step-level DPO: the winner (chosen) and loser (rejected) candidates of one item.</summary>
public sealed record PreferencePair(RgbImage Scene, string Question, Box ChosenBox, Box RejectedBox, string? ChosenAnswer = null, string? RejectedAnswer = null);

/// <summary>Step-level DPO settings (DESIGN.md §1): β, the stage-2 weights λ_B and λ_R, an optional SFT term.</summary>
public sealed record DpoConfig
{
    public double Beta { get; init; } = 0.1;
    /// <summary>Stage 2 (box + answer) when true; stage 1 (box tokens only, weight 1) when false.</summary>
    public bool WithAnswer { get; init; }
    /// <summary>λ_B: the box term's weight in stage 2.</summary>
    public double BoxWeight { get; init; } = 0.5;
    /// <summary>λ_R: the answer term's weight in stage 2.</summary>
    public double AnswerWeight { get; init; } = 0.5;
    /// <summary>Weight of an extra NLL on the chosen responses (per token); 0 = pure DPO.</summary>
    public double SftWeight { get; init; }
    /// <summary>
    /// Stage 2: condition the loser's answer on the winner's box and crop instead of its own, so the answer
    /// term compares two answers to the same view rather than two trajectories.
    /// </summary>
    public bool RejectedAnswerUnderChosenBox { get; init; }
}

/// <summary>
/// Step-level DPO over preference pairs (DESIGN.md §1). Stage 1: sigmoid DPO on the box tokens given
/// (image, question). Stage 2: λ_B·L_box + λ_R·L_answer, the answer conditioned on (image, question,
/// the chosen or rejected box, its crop). The reference is the policy as it was when this objective
/// was made (the stage's start): either its log-probs, precomputed once here (no second model in
/// memory) or given as stored by an earlier start of the same job, or a frozen copy asked per
/// micro-batch. Pairs whose answers the tokenizer cannot encode (a high-temperature sample) keep their
/// box term and drop the answer term.
/// </summary>
public sealed class PreferenceObjective : ITrainingObjective
{
    private readonly VisRLTiny _policy;
    private readonly IReadOnlyList<PreferencePair> _pairs;
    private readonly DpoConfig _config;
    private readonly RgbImage[] _global, _chosenCrop, _rejectedAnswerCrop;
    private readonly bool[] _answerUsable;
    private readonly VisRLTiny? _frozen;
    private readonly Dictionary<Term, double[]>? _precomputed;

    private enum Term { BoxChosen, BoxRejected, AnswerChosen, AnswerRejected }

    /// <summary>The reference terms' names, as <see cref="ReferenceLogProbs"/> keys them, in <see cref="Term"/>'s order.</summary>
    public static IReadOnlyList<string> TermNames { get; } = ["box/chosen", "box/rejected", "answer/chosen", "answer/rejected"];

    /// <param name="frozenReference">A frozen copy of the start policy; null takes the reference as log-probs.</param>
    /// <param name="storedReference">The reference log-probs an earlier start of this job computed (<see cref="ReferenceLogProbs"/>); null computes them from <paramref name="policy"/> now.</param>
    /// <exception cref="ArgumentException">A stored reference that lacks a term this stage needs, or does not hold one finite value per pair.</exception>
    public PreferenceObjective(VisRLTiny policy, IReadOnlyList<PreferencePair> pairs, DpoConfig config, VisRLTiny? frozenReference = null,
        IReadOnlyDictionary<string, double[]>? storedReference = null)
    {
        _policy = policy;
        _pairs = pairs;
        _config = config;
        _global = [.. pairs.Select(p => policy.GlobalView(p.Scene))];
        _chosenCrop = config.WithAnswer ? [.. pairs.Select(p => policy.CropView(p.Scene, p.ChosenBox))] : [];
        _rejectedAnswerCrop = !config.WithAnswer ? [] : config.RejectedAnswerUnderChosenBox ? _chosenCrop
            : [.. pairs.Select(p => policy.CropView(p.Scene, p.RejectedBox))];
        _answerUsable = [.. pairs.Select(p => config.WithAnswer && Encodable(policy.Tokenizer, p.ChosenAnswer) && Encodable(policy.Tokenizer, p.RejectedAnswer))];
        if (frozenReference is not null) _frozen = frozenReference;
        else if (storedReference is not null) _precomputed = Checked(storedReference);
        else
        {
            // Full-length arrays; the answer terms of pairs without a usable answer stay NaN and are never read.
            var all = Enumerable.Range(0, pairs.Count).ToList();
            _precomputed = [];
            foreach (var term in Enum.GetValues<Term>().Where(t => config.WithAnswer || t is Term.BoxChosen or Term.BoxRejected))
            {
                var indices = term is Term.AnswerChosen or Term.AnswerRejected ? Usable(all) : all;
                var values = Enumerable.Repeat(double.NaN, pairs.Count).ToArray();
                foreach (var (index, value) in indices.Zip(LogProbValues(policy, term, indices))) values[index] = value;
                _precomputed[term] = values;
            }
        }
    }

    public int Count => _pairs.Count;

    /// <summary>
    /// The reference log-probs by term name (<see cref="TermNames"/>), one per pair in pair order, NaN
    /// where a pair has no answer term; null with a frozen reference. Stored, they let a resumed job
    /// train against the very numbers it started with.
    /// </summary>
    public IReadOnlyDictionary<string, double[]>? ReferenceLogProbs =>
        _precomputed?.ToDictionary(t => TermNames[(int)t.Key], t => t.Value.ToArray());

    /// <summary>Pairs that carry the stage-2 answer term.</summary>
    public int AnswerPairCount => _answerUsable.Count(u => u);

    public Tensor Loss(IReadOnlyList<int> indices, IDictionary<string, double> values)
    {
        var box = Dpo(Term.BoxChosen, Term.BoxRejected, indices);
        foreach (var (name, value) in box.Terms.Metrics(_config.WithAnswer ? "box/" : "")) values[name] = value;
        var loss = _config.WithAnswer ? box.Terms.Loss * _config.BoxWeight : box.Terms.Loss;
        var sft = -box.PolicyChosen.sum() / Math.Max(1, box.ChosenTokens);
        long sftTokens = box.ChosenTokens;

        var usable = Usable(indices);
        if (_config.WithAnswer && usable.Count > 0)
        {
            var answer = Dpo(Term.AnswerChosen, Term.AnswerRejected, usable);
            foreach (var (name, value) in answer.Terms.Metrics("answer/")) values[name] = value;
            loss += answer.Terms.Loss * _config.AnswerWeight;
            // TRL's rewards/*: the whole response's reward (box + answer) on the pairs that have both.
            var whole = new DpoTerms(loss, Rows(box.Terms.ChosenRewards, indices, usable) + answer.Terms.ChosenRewards,
                Rows(box.Terms.RejectedRewards, indices, usable) + answer.Terms.RejectedRewards);
            foreach (var (name, value) in whole.Metrics("")) values[name] = value;
            sft = -(box.PolicyChosen.sum() + answer.PolicyChosen.sum()) / Math.Max(1, box.ChosenTokens + answer.ChosenTokens);
            sftTokens += answer.ChosenTokens;
        }
        if (_config.SftWeight > 0 && sftTokens > 0)
        {
            loss += sft * _config.SftWeight;
            values["sft/nll"] = sft.item<float>();
        }
        values["pairs/answer_share"] = (double)usable.Count / indices.Count;
        return loss;
    }

    private (DpoTerms Terms, Tensor PolicyChosen, long ChosenTokens) Dpo(Term chosen, Term rejected, IReadOnlyList<int> indices)
    {
        var sequences = Sequences(chosen, indices).Concat(Sequences(rejected, indices)).ToList();
        var policy = _policy.SequenceLogProbs(sequences);
        var n = indices.Count;
        var policyChosen = policy.narrow(0, 0, n);
        var terms = Losses.DpoWithRewards(policyChosen, policy.narrow(0, n, n),
            Reference(chosen, indices), Reference(rejected, indices), _config.Beta);
        return (terms, policyChosen, sequences.Take(n).Sum(s => s.ResponseCount));
    }

    private Tensor Reference(Term term, IReadOnlyList<int> indices)
    {
        double[] values = _precomputed is not null ? [.. indices.Select(i => _precomputed[term][i])] : LogProbValues(_frozen!, term, indices);
        return tensor(values, device: _policy.Model.Device).to(ScalarType.Float32);
    }

    private double[] LogProbValues(VisRLTiny model, Term term, IReadOnlyList<int> indices)
    {
        var result = new List<double>(indices.Count);
        using var noGrad = no_grad();
        foreach (var chunk in indices.Chunk(64))
        {
            using var scope = NewDisposeScope();
            result.AddRange(model.SequenceLogProbs([.. Sequences(term, chunk)]).to(ScalarType.Float64).cpu().ToArray<double>());
        }
        return [.. result];
    }

    private IEnumerable<TokenSequence> Sequences(Term term, IReadOnlyList<int> indices) => indices.Select(i =>
    {
        var p = _pairs[i];
        return term switch
        {
            Term.BoxChosen => _policy.Protocol.BoxTurn(_global[i], p.Question, p.ChosenBox),
            Term.BoxRejected => _policy.Protocol.BoxTurn(_global[i], p.Question, p.RejectedBox),
            Term.AnswerChosen => _policy.Protocol.AnswerTurn(_global[i], p.Question, p.ChosenBox, _chosenCrop[i], p.ChosenAnswer),
            _ => _policy.Protocol.AnswerTurn(_global[i], p.Question, RejectedAnswerBox(p), _rejectedAnswerCrop[i], p.RejectedAnswer),
        };
    });

    /// <summary>The box the loser's answer is conditioned on; <see cref="_rejectedAnswerCrop"/> holds its crop.</summary>
    private Box RejectedAnswerBox(PreferencePair p) => _config.RejectedAnswerUnderChosenBox ? p.ChosenBox : p.RejectedBox;

    private List<int> Usable(IReadOnlyList<int> indices) => [.. indices.Where(i => _answerUsable[i])];

    private Dictionary<Term, double[]> Checked(IReadOnlyDictionary<string, double[]> stored)
    {
        var result = new Dictionary<Term, double[]>();
        foreach (var term in Enum.GetValues<Term>().Where(t => _config.WithAnswer || t is Term.BoxChosen or Term.BoxRejected))
        {
            var name = TermNames[(int)term];
            if (!stored.TryGetValue(name, out var values))
                throw new ArgumentException($"the stored reference has no {name} log-probs");
            if (values.Length != _pairs.Count)
                throw new ArgumentException($"the stored reference has {values.Length} {name} log-probs for {_pairs.Count} pairs");
            bool Needed(int i) => term is Term.BoxChosen or Term.BoxRejected || _answerUsable[i]; // answer terms: usable pairs only
            if (Enumerable.Range(0, _pairs.Count).FirstOrDefault(i => Needed(i) && !double.IsFinite(values[i]), -1) is var bad and >= 0)
                throw new ArgumentException($"the stored reference's {name} log-prob of pair {bad} is {values[bad]}, not a finite number");
            result[term] = values;
        }
        return result;
    }

    /// <summary>The rows of <paramref name="perIndex"/> (one per entry of <paramref name="indices"/>) that belong to <paramref name="subset"/>.</summary>
    private static Tensor Rows(Tensor perIndex, IReadOnlyList<int> indices, IReadOnlyList<int> subset)
    {
        var rows = new List<long>(subset.Count);
        int next = 0;
        for (int row = 0; row < indices.Count && next < subset.Count; row++)
            if (indices[row] == subset[next]) { rows.Add(row); next++; }
        return perIndex.index_select(0, tensor(rows.ToArray(), device: perIndex.device));
    }

    private static bool Encodable(Tokenizer tokenizer, string? answer)
    {
        if (string.IsNullOrWhiteSpace(answer)) return false;
        try { return tokenizer.Encode(answer).Length > 0; }
        catch (UnknownTokenException) { return false; }
    }
}
