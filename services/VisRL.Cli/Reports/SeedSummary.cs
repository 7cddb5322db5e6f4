using System.Globalization;
using System.Net;
using System.Text;
using Spectre.Console;

namespace VisRL.Cli.Reports;

/// <summary>One model row over several seeds: the mean and the range of each accuracy.</summary>
internal sealed record SeedRow(string Label, int Seeds, double MeanAnswer, double MinAnswer, double MaxAnswer,
    double? MeanDetection, double? MinDetection, double? MaxDetection);

/// <summary>One step over several seeds: its mean change and in how many seeds it went up or down.</summary>
internal sealed record SeedStep(string Before, string After, double MeanAnswer, int AnswerUp, int AnswerDown,
    double? MeanDetection, int DetectionUp, int DetectionDown);

/// <summary>
/// The demo's rows repeated with other seeds (`visrl demo --seeds N`). One seed's step can be as
/// large as the seed's own effect (three SFTs that differed only in a head's first weights spread
/// 3–5 points), so a target is judged on the mean over seeds and on how many seeds agree.
/// </summary>
internal static class SeedSummary
{
    /// <summary>
    /// Per label (in the first seed's order), the mean and range over the seeds; per consecutive pair
    /// of labels, and first → last when there are more than two, the mean change and its sign per seed.
    /// </summary>
    /// <exception cref="ArgumentException">No seeds, or seeds whose labels differ.</exception>
    public static (IReadOnlyList<SeedRow> Rows, IReadOnlyList<SeedStep> Steps) Of(IReadOnlyList<IReadOnlyList<ResultRow>> seeds)
    {
        if (seeds.Count == 0) throw new ArgumentException("seed summary: no seeds");
        var labels = seeds[0].Select(r => r.Label).ToList();
        for (int s = 1; s < seeds.Count; s++)
            if (!seeds[s].Select(r => r.Label).SequenceEqual(labels))
                throw new ArgumentException($"seed summary: seed {s} has rows [{string.Join(", ", seeds[s].Select(r => r.Label))}], not [{string.Join(", ", labels)}]");

        var rows = labels.Select((label, i) =>
        {
            var answers = seeds.Select(r => r[i].AnswerAccuracy).ToList();
            var detections = seeds.All(r => r[i].DetectionAccuracy is not null) ? seeds.Select(r => r[i].DetectionAccuracy!.Value).ToList() : null;
            return new SeedRow(label, seeds.Count, answers.Average(), answers.Min(), answers.Max(),
                detections?.Average(), detections?.Min(), detections?.Max());
        }).ToList();

        var pairs = Enumerable.Range(0, labels.Count - 1).Select(i => (Before: i, After: i + 1)).ToList();
        if (labels.Count > 2) pairs.Add((0, labels.Count - 1));
        var steps = pairs.Select(p =>
        {
            var answer = seeds.Select(r => r[p.After].AnswerAccuracy - r[p.Before].AnswerAccuracy).ToList();
            var detection = seeds.All(r => r[p.Before].DetectionAccuracy is not null && r[p.After].DetectionAccuracy is not null)
                ? seeds.Select(r => r[p.After].DetectionAccuracy!.Value - r[p.Before].DetectionAccuracy!.Value).ToList()
                : null;
            return new SeedStep(labels[p.Before], labels[p.After], answer.Average(), answer.Count(d => d > 0), answer.Count(d => d < 0),
                detection?.Average(), detection?.Count(d => d > 0) ?? 0, detection?.Count(d => d < 0) ?? 0);
        }).ToList();
        return (rows, steps);
    }

    public static void Write(IAnsiConsole console, IReadOnlyList<SeedRow> rows, IReadOnlyList<SeedStep> steps)
    {
        var seeds = rows.Count > 0 ? rows[0].Seeds : 0;
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"over {seeds} seeds: mean [lowest, highest]"))
            .AddColumns("model", "answer accuracy", "detection accuracy (IoU > 0.5)");
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.Label), Markup.Escape(Range(r.MeanAnswer, r.MinAnswer, r.MaxAnswer)),
                Markup.Escape(r.MeanDetection is { } d ? Range(d, r.MinDetection!.Value, r.MaxDetection!.Value) : "-"));
        console.Write(table);

        var stepTable = new Table().Border(TableBorder.Rounded).Title($"each step over {seeds} seeds")
            .AddColumns("step", "answer accuracy", "detection accuracy");
        foreach (var s in steps)
            stepTable.AddRow(Markup.Escape($"{s.Before} → {s.After}"), Markup.Escape(Change(s.MeanAnswer, s.AnswerUp, s.AnswerDown)),
                Markup.Escape(s.MeanDetection is { } d ? Change(d, s.DetectionUp, s.DetectionDown) : "-"));
        console.Write(stepTable);
        console.WriteLine(Legend);
    }

    /// <summary>The same two tables as an HTML fragment for the report.</summary>
    public static string Html(IReadOnlyList<SeedRow> rows, IReadOnlyList<SeedStep> steps)
    {
        static string Cell(string text, bool left = false) => $"<td{(left ? " style=\"text-align:left\"" : "")}>{WebUtility.HtmlEncode(text)}</td>";
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<h3>Over {(rows.Count > 0 ? rows[0].Seeds : 0)} seeds: mean [lowest, highest]</h3><table><tr><th>model</th><th>answer accuracy</th><th>detection accuracy (IoU &gt; 0.5)</th></tr>");
        foreach (var r in rows)
            html.Append("<tr>").Append(Cell(r.Label, left: true)).Append(Cell(Range(r.MeanAnswer, r.MinAnswer, r.MaxAnswer)))
                .Append(Cell(r.MeanDetection is { } d ? Range(d, r.MinDetection!.Value, r.MaxDetection!.Value) : "-")).Append("</tr>");
        html.Append("</table><p>").Append(WebUtility.HtmlEncode(Legend)).Append("</p><table><tr><th>step</th><th>answer accuracy</th><th>detection accuracy</th></tr>");
        foreach (var s in steps)
            html.Append("<tr>").Append(Cell($"{s.Before} → {s.After}", left: true)).Append(Cell(Change(s.MeanAnswer, s.AnswerUp, s.AnswerDown)))
                .Append(Cell(s.MeanDetection is { } d ? Change(d, s.DetectionUp, s.DetectionDown) : "-")).Append("</tr>");
        return html.Append("</table>").ToString();
    }

    public const string Legend = "mean change in percentage points (seeds up/down)";

    /// <summary>"54.0 % [51.3, 57.0]".</summary>
    public static string Range(double mean, double min, double max) =>
        string.Create(CultureInfo.InvariantCulture, $"{100 * mean:0.0} % [{100 * min:0.0}, {100 * max:0.0}]");

    /// <summary>"+1.3 (2 up/1 down)": see <see cref="Legend"/>.</summary>
    public static string Change(double mean, int up, int down) =>
        string.Create(CultureInfo.InvariantCulture, $"{100 * mean:+0.0;-0.0;0.0} ({up} up/{down} down)");
}
