using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;
using VisRL.Modeling;
using VisRL.Platform.Persistence;

namespace VisRL.Cli.Reports;

/// <summary>A later result against an earlier one on the same items: paired differences with 95 % intervals.</summary>
internal sealed record StepComparison(string Before, string After, PairedDifference Answer, PairedDifference? Detection);

internal static class StepComparisons
{
    /// <summary>
    /// Each CoT result against the CoT result before it, and the last against the first when there are
    /// more than two — for the demo: SFT → +RL1, +RL1 → +RL1+RL2 and SFT → +RL1+RL2, the target's
    /// three steps. Results evaluated on other items (another split or size), or stored before
    /// per-item outcomes were kept, are left out.
    /// </summary>
    public static async Task<IReadOnlyList<StepComparison>> CollectAsync(VisRLDbContext db, IReadOnlyList<ResultRow> results, CancellationToken cancellationToken)
    {
        var cot = results.Where(r => r.Mode == Evaluator.Cot).ToList();
        var steps = cot.Zip(cot.Skip(1)).ToList();
        if (cot.Count > 2) steps.Add((cot[0], cot[^1]));

        var ids = cot.Select(r => r.EvaluationId).ToList();
        var splits = await db.Evaluations.AsNoTracking().Where(e => ids.Contains(e.EvaluationRunId) && e.Family == "all")
            .ToDictionaryAsync(e => e.EvaluationRunId, e => (e.DatasetId, e.Split, e.ItemCount), cancellationToken);
        var outcomes = (await db.EvaluationItems.AsNoTracking().Where(i => ids.Contains(i.EvaluationRunId)).ToListAsync(cancellationToken))
            .GroupBy(i => i.EvaluationRunId).ToDictionary(g => g.Key, g => g.OrderBy(i => i.Position).ToList());

        var comparisons = new List<StepComparison>();
        foreach (var (before, after) in steps)
        {
            if (!outcomes.TryGetValue(before.EvaluationId, out var b) || !outcomes.TryGetValue(after.EvaluationId, out var a)) continue;
            if (splits[before.EvaluationId] != splits[after.EvaluationId] || b.Count < 2) continue; // same dataset, split and item count
            var detection = b.Concat(a).All(i => i.DetectionHit is not null)
                ? PairedDifference.Of([.. b.Select(i => i.DetectionHit == true)], [.. a.Select(i => i.DetectionHit == true)])
                : null;
            comparisons.Add(new StepComparison(before.Label, after.Label,
                PairedDifference.Of([.. b.Select(i => i.AnswerCorrect)], [.. a.Select(i => i.AnswerCorrect)]), detection));
        }
        return comparisons;
    }

    /// <summary>The steps as a console table and the legend under it (every cell escaped: the intervals' brackets are not markup).</summary>
    public static void Write(IAnsiConsole console, IReadOnlyList<StepComparison> steps)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("each step on the same test items")
            .AddColumns("step", "answer accuracy", "detection accuracy");
        foreach (var s in steps)
            table.AddRow(Markup.Escape($"{s.Before} → {s.After}"), Markup.Escape(Format(s.Answer)), Markup.Escape(Format(s.Detection)));
        console.Write(table);
        console.WriteLine(Legend);
    }

    public const string Legend = "change in percentage points [95 % interval] (items gained/lost); * = the interval excludes 0";

    /// <summary>"+1.7 [-1.5, +4.9] (+12/-7)": see <see cref="Legend"/>.</summary>
    public static string Format(PairedDifference? d) => d is null ? "-" : string.Create(CultureInfo.InvariantCulture,
        $"{100 * d.Delta:+0.0;-0.0;0.0} [{100 * d.Low:+0.0;-0.0;0.0}, {100 * d.High:+0.0;-0.0;0.0}] (+{d.Gained}/-{d.Lost}){(d.Significant ? " *" : "")}");
}
