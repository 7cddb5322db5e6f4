using VisRL.Imaging.Geometry;
using VisRL.Imaging.Synthetic;

namespace VisRL.Modeling;

/// <summary>One evaluated item: the truth, the model's answer and (CoT) the box text it produced.</summary>
public sealed record EvalItem(string Family, string Answer, Box GtBox, string Predicted, string? BoxText);

/// <summary>Scores of one group (a family, or all): answer accuracy and, for CoT, detection accuracy (IoU &gt; 0.5).</summary>
public sealed record GroupScore(string Group, int Count, double AnswerAccuracy, double? DetectionAccuracy);

/// <summary>One item's outcome, at its position in the evaluated list: kept so two models can be compared item by item.</summary>
public sealed record ItemOutcome(int Position, string Family, bool AnswerCorrect, bool? DetectionHit);

public sealed record EvaluationReport(string Mode, GroupScore Overall, IReadOnlyList<GroupScore> Families, IReadOnlyList<ItemOutcome> Items);

/// <summary>
/// Evaluation as in Visual-CoT: answers by normalized exact match (case, surrounding spaces and
/// punctuation ignored); detection accuracy = share of predicted boxes with IoU &gt; 0.5 against the
/// hidden GT box, an unparseable box counting as a miss. Scoring is pure; the Run methods only
/// produce predictions batch by batch (scenes are generated on the fly, never all in memory).
/// </summary>
public static class Evaluator
{
    public const string NoCot = "no-cot", Cot = "cot";

    public static string Normalize(string answer) =>
        new string(answer.Where(c => !char.IsWhiteSpace(c) && !char.IsPunctuation(c)).ToArray()).ToUpperInvariant();

    public static bool IsCorrect(string predicted, string answer) => Normalize(predicted) == Normalize(answer);

    public static bool IsDetectionHit(string? boxText, Box gt)
    {
        var parsed = BoxParser.Parse(boxText);
        return parsed.Success && BoxIou.IsHit(parsed.Box, gt);
    }

    public static EvaluationReport Score(string mode, IReadOnlyList<EvalItem> items)
    {
        // Each item is judged once; the group scores are shares of its outcomes.
        List<ItemOutcome> outcomes = [.. items.Select((i, k) =>
            new ItemOutcome(k, i.Family, IsCorrect(i.Predicted, i.Answer), i.BoxText is null ? null : IsDetectionHit(i.BoxText, i.GtBox)))];
        GroupScore Group(string name, IReadOnlyList<ItemOutcome> group)
        {
            double answer = group.Count == 0 ? 0 : group.Count(o => o.AnswerCorrect) / (double)group.Count;
            double? detection = group.Count == 0 || group.All(o => o.DetectionHit is null) ? null
                : group.Count(o => o.DetectionHit == true) / (double)group.Count;
            return new GroupScore(name, group.Count, answer, detection);
        }
        var families = outcomes.GroupBy(o => o.Family).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Group(g.Key, [.. g])).ToList();
        return new EvaluationReport(mode, Group("all", outcomes), families, outcomes);
    }

    /// <summary>No CoT: global view + question → answer (greedy).</summary>
    public static IReadOnlyList<EvalItem> PredictNoCot(VisRLTiny model, SyntheticGenerator generator, long start, int count, int batchSize = 64) =>
        PredictNoCot(model, (s, n) => generator.Generate(s, n).Select(LabeledScene.From).ToList(), start, count, batchSize);

    public static IReadOnlyList<EvalItem> PredictNoCot(VisRLTiny model, IReadOnlyList<LabeledScene> scenes, int batchSize = 64) =>
        PredictNoCot(model, (s, n) => scenes.Skip((int)s).Take(n).ToList(), 0, scenes.Count, batchSize);

    private static IReadOnlyList<EvalItem> PredictNoCot(VisRLTiny model, Func<long, int, List<LabeledScene>> slice, long start, int count, int batchSize)
    {
        var result = new List<EvalItem>(count);
        for (long s = start; s < start + count; s += batchSize)
        {
            var items = slice(s, (int)Math.Min(batchSize, start + count - s));
            var answers = model.GenerateAnswerNoCot([.. items.Select(i => (i.Image, i.Question, 0))], SamplingOptions.Greedy with { MaxNewTokens = 4 });
            result.AddRange(items.Select((i, k) => new EvalItem(i.Family, i.Answer, i.GtBox, answers[k], null)));
        }
        return result;
    }

    /// <summary>Two-turn CoT: constrained greedy box, crop of that box, then the answer (greedy).</summary>
    public static IReadOnlyList<EvalItem> PredictCot(VisRLTiny model, SyntheticGenerator generator, long start, int count, int batchSize = 64) =>
        PredictCot(model, (s, n) => generator.Generate(s, n).Select(LabeledScene.From).ToList(), start, count, batchSize);

    public static IReadOnlyList<EvalItem> PredictCot(VisRLTiny model, IReadOnlyList<LabeledScene> scenes, int batchSize = 64) =>
        PredictCot(model, (s, n) => scenes.Skip((int)s).Take(n).ToList(), 0, scenes.Count, batchSize);

    private static IReadOnlyList<EvalItem> PredictCot(VisRLTiny model, Func<long, int, List<LabeledScene>> slice, long start, int count, int batchSize)
    {
        var result = new List<EvalItem>(count);
        for (long s = start; s < start + count; s += batchSize)
        {
            var items = slice(s, (int)Math.Min(batchSize, start + count - s));
            var boxes = model.GenerateBox([.. items.Select(i => new BoxRequest(i.Image, i.Question))]);
            var answers = model.GenerateAnswer([.. items.Select((i, k) => new AnswerRequest(i.Image, i.Question, boxes[k].Box ?? Box.Full))], SamplingOptions.Greedy with { MaxNewTokens = 4 });
            result.AddRange(items.Select((i, k) => new EvalItem(i.Family, i.Answer, i.GtBox, answers[k], boxes[k].Text)));
        }
        return result;
    }
}
