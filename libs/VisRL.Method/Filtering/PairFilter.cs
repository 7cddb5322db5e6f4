using System.Globalization;
using VisRL.Method.Critique;

namespace VisRL.Method.Filtering;

/// <summary>
/// The filter rule of DESIGN.md §1, per item over its scored candidates: keep only if
/// max(s_r) ≥ T_max^r, min(s_r) ≤ T_min^r and max ≠ min; the winner is a candidate with the max s_r
/// and s_b ≥ T_max^b, the loser one with the min s_r and s_b ≤ T_min^b.
/// <para>Mirrors VisRL data_gen/filter.py <c>process_data</c>: candidates missing either score are
/// dropped before max/min are taken (here also scores that are not finite or outside [0, 1]; with
/// the box critic off only s_r is required); max/min and the "== max" / "== min" tests are exact
/// comparisons of the scores as given.</para>
/// <para>Ties (several candidates share the max or the min s_r): the reference takes the first in list
/// order, which for a distributed sampler is arrival order and not reproducible. Here winners are
/// ordered by s_b descending (the strongest crop evidence first), losers by s_b ascending, then both
/// by candidate id ascending; with the box critic off, by candidate id only.</para>
/// <para>More than one pair per item (the reference makes one): distinct (winner, loser)
/// combinations in diagonal order of their ranks — (w0, l0), (w0, l1), (w1, l0), (w0, l2), (w1, l1), … —
/// so extra pairs spread over candidates instead of repeating the best winner with every loser.</para>
/// </summary>
public static class PairFilter
{
    public static FilterDecision Apply(IEnumerable<ScoredCandidate> candidates, PairFilterOptions? options = null)
    {
        options ??= PairFilterOptions.Default;
        options.Validate();
        bool box = options.UseBoxCritic;

        var all = candidates.ToList();
        var used = all.Where(c => CriticScore.IsValid(c.AnswerScore) && (!box || CriticScore.IsValid(c.BoxScore))).ToList();
        int ignored = all.Count - used.Count;
        if (used.Count == 0) return Drop(FilterReason.NoScoredCandidates, options, used.Count, ignored, null, null);

        double max = used.Max(c => c.AnswerScore!.Value), min = used.Min(c => c.AnswerScore!.Value);
        if (max == min) return Drop(FilterReason.AllEqual, options, used.Count, ignored, max, min);
        if (max < options.MaxAnswerThreshold) return Drop(FilterReason.MaxBelowThreshold, options, used.Count, ignored, max, min);
        if (min > options.MinAnswerThreshold) return Drop(FilterReason.MinAboveThreshold, options, used.Count, ignored, max, min);

        var winners = used.Where(c => c.AnswerScore == max && (!box || c.BoxScore >= options.MaxBoxThreshold))
            .OrderByDescending(c => box ? c.BoxScore!.Value : 0).ThenBy(c => c.CandidateId).ToList();
        var losers = used.Where(c => c.AnswerScore == min && (!box || c.BoxScore <= options.MinBoxThreshold))
            .OrderBy(c => box ? c.BoxScore!.Value : 0).ThenBy(c => c.CandidateId).ToList();
        if (winners.Count == 0 || losers.Count == 0)
        {
            var reason = winners.Count == 0 && losers.Count == 0 ? FilterReason.NoWinnerNorLoser
                : winners.Count == 0 ? FilterReason.NoWinner : FilterReason.NoLoser;
            return Drop(reason, options, used.Count, ignored, max, min);
        }

        var pairs = new List<PreferencePair>(options.PairsPerItem);
        for (int rankSum = 0; pairs.Count < options.PairsPerItem && rankSum <= winners.Count + losers.Count - 2; rankSum++)
        {
            for (int w = 0; w <= rankSum && pairs.Count < options.PairsPerItem; w++)
            {
                int l = rankSum - w;
                if (w < winners.Count && l < losers.Count)
                    pairs.Add(new PreferencePair(pairs.Count, winners[w].CandidateId, losers[l].CandidateId));
            }
        }
        return new FilterDecision(FilterReason.Kept, Describe(FilterReason.Kept, options), pairs, used.Count, ignored, max, min);
    }

    /// <summary>The reason in words, with the thresholds in force (for logs and statistics).</summary>
    public static string Describe(FilterReason reason, PairFilterOptions? options = null)
    {
        options ??= PairFilterOptions.Default;
        string F(double v) => v.ToString(CultureInfo.InvariantCulture);
        return reason switch
        {
            FilterReason.Kept => "kept",
            FilterReason.NoScoredCandidates => options.UseBoxCritic ? "no candidate with valid s_r and s_b" : "no candidate with a valid s_r",
            FilterReason.AllEqual => "all equal",
            FilterReason.MaxBelowThreshold => $"max s_r < {F(options.MaxAnswerThreshold)}",
            FilterReason.MinAboveThreshold => $"min s_r > {F(options.MinAnswerThreshold)}",
            FilterReason.NoWinner => $"no winner with s_b ≥ {F(options.MaxBoxThreshold)}",
            FilterReason.NoLoser => $"no loser with s_b ≤ {F(options.MinBoxThreshold)}",
            FilterReason.NoWinnerNorLoser => $"no winner with s_b ≥ {F(options.MaxBoxThreshold)} and no loser with s_b ≤ {F(options.MinBoxThreshold)}",
            _ => reason.ToString(),
        };
    }

    private static FilterDecision Drop(FilterReason reason, PairFilterOptions options, int used, int ignored, double? max, double? min) =>
        new(reason, Describe(reason, options), [], used, ignored, max, min);
}
