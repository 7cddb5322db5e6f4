using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using VisRL.Data;
using VisRL.Imaging;
using VisRL.Imaging.Geometry;
using VisRL.Modeling;
using VisRL.Training;

namespace VisRL.Cli.Reports;

/// <summary>One row of the results table: a checkpoint and its stored evaluation.</summary>
internal sealed record ResultRow(string Label, string Checkpoint, string Mode, Guid EvaluationId, double AnswerAccuracy, double? DetectionAccuracy, int Items);

/// <summary>A training job shown as curves.</summary>
internal sealed record JobCurves(string Label, Guid JobId, IReadOnlyList<string> Metrics);

/// <summary>
/// A run's HTML report (the demo's too), one self-contained file: the results table, each step's
/// paired difference, the round's pair statistics (the SQL views), loss and reward-margin curves as
/// inline SVG, and a gallery of items with their win (green) and lose (red) boxes drawn — the hidden
/// GT box dashed in blue is shown for reading only.
/// </summary>
internal static class HtmlReport
{
    public static async Task<string> BuildAsync(DatasetStorage storage, string connectionString, string title, IReadOnlyList<ResultRow> results,
        IReadOnlyList<StepComparison> steps, IReadOnlyList<JobCurves> jobs, IReadOnlyList<Guid> iterationIds, IReadOnlyList<string> status, string configJson, string? seedSummaryHtml, CancellationToken cancellationToken)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").Append(Encode(title)).Append("</title><style>")
            .Append("body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
            .Append("th{background:#f4f4f4}.gallery{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;padding:6px;width:260px;font-size:12px}")
            .Append(".win{color:#1a7f37}.lose{color:#c62828}pre{background:#f7f7f7;padding:8px;overflow:auto;font-size:11px}</style></head><body>");
        html.Append("<h1>").Append(Encode(title)).Append("</h1><ul>");
        foreach (var line in status) html.Append("<li>").Append(Encode(line)).Append("</li>");
        html.Append("</ul>");

        html.Append("<h2>Held-out test split</h2><table><tr><th>model</th><th>mode</th><th>answer accuracy</th><th>detection accuracy (IoU &gt; 0.5)</th><th>items</th><th>checkpoint</th></tr>");
        foreach (var r in results)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td style=\"text-align:left\">{Encode(r.Label)}</td><td>{r.Mode}</td><td>{r.AnswerAccuracy:P1}</td><td>{(r.DetectionAccuracy is { } d ? d.ToString("P1", CultureInfo.InvariantCulture) : "-")}</td><td>{r.Items}</td><td><code>{r.Checkpoint[..12]}</code></td></tr>");
        html.Append("</table>");
        if (steps.Count > 0)
        {
            html.Append("<h3>Each step on the same test items</h3><p>").Append(Encode(StepComparisons.Legend)).Append("</p><table><tr><th>step</th><th>answer accuracy</th><th>detection accuracy</th></tr>");
            foreach (var s in steps)
                html.Append($"<tr><td style=\"text-align:left\">{Encode($"{s.Before} → {s.After}")}</td><td>{Encode(StepComparisons.Format(s.Answer))}</td><td>{Encode(StepComparisons.Format(s.Detection))}</td></tr>");
            html.Append("</table>");
        }
        html.Append(seedSummaryHtml);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        html.Append("<h2>Preference pairs of the self-evolution iterations</h2>");
        foreach (var view in new[] { "round_counts", "pair_box_quadrants", "round_score_summary" })
            html.Append(await ViewTableAsync(connection, view, iterationIds, cancellationToken));

        html.Append("<h2>Training curves</h2><div class=\"gallery\">");
        foreach (var job in jobs)
            foreach (var metric in job.Metrics)
                html.Append(SvgChart.Lines($"{job.Label}: {metric}", [new Series(metric, await MetricAsync(connection, job.JobId, metric, cancellationToken))]));
        html.Append("</div>");

        html.Append("<h3>Where each stage trained</h3><table><tr><th>stage</th><th>machine</th></tr>");
        foreach (var job in jobs)
            if (await MachineAsync(connection, job.JobId, cancellationToken) is { } machine) // null: the stage has not run
                html.Append($"<tr><td style=\"text-align:left\">{Encode(job.Label)}</td><td style=\"text-align:left\">{Encode(machine)}</td></tr>");
        html.Append("</table>");

        html.Append("<h2>Gallery: win and lose boxes (newest iteration first)</h2><p><span class=\"win\">■ win (chosen)</span> <span class=\"lose\">■ lose (rejected)</span> <span style=\"color:#1565c0\">■ hidden GT box (statistics only)</span></p><div class=\"gallery\">");
        html.Append(await GalleryAsync(storage, iterationIds, 12, cancellationToken));
        html.Append("</div><h2>Configuration</h2><pre>").Append(Encode(configJson)).Append("</pre></body></html>");
        return html.ToString();
    }

    private static async Task<string> ViewTableAsync(NpgsqlConnection connection, string view, IReadOnlyList<Guid> iterationIds, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT * FROM {view} WHERE iteration_id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", iterationIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var columns = Enumerable.Range(0, reader.FieldCount).Where(i => !reader.GetName(i).EndsWith("_id", StringComparison.Ordinal)).ToList();
        var html = new StringBuilder($"<h3>{view}</h3><table><tr>");
        foreach (var i in columns) html.Append("<th>").Append(Encode(reader.GetName(i))).Append("</th>");
        html.Append("</tr>");
        while (await reader.ReadAsync(cancellationToken))
        {
            html.Append("<tr>");
            foreach (var i in columns) html.Append("<td>").Append(Encode(reader.IsDBNull(i) ? "-" : Format(reader.GetValue(i)))).Append("</td>");
            html.Append("</tr>");
        }
        return html.Append("</table>").ToString();
    }

    private static string Format(object value) => value switch
    {
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        float f => f.ToString("0.###", CultureInfo.InvariantCulture),
        decimal m => m.ToString("0.###", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>The job's recorded machine, described (jobs stored before migration 0005 have none); null when there is no such job.</summary>
    private static async Task<string?> MachineAsync(NpgsqlConnection connection, Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT machine_json::text FROM training_jobs WHERE id = @job", connection);
        command.Parameters.AddWithValue("job", jobId);
        return (string?)await command.ExecuteScalarAsync(cancellationToken) switch
        {
            null => null,
            "{}" => "not recorded",
            var json => JsonSerializer.Deserialize<TrainingMachine>(json, JsonSerializerOptions.Web)!.Describe(),
        };
    }

    private static async Task<List<(double X, double Y)>> MetricAsync(NpgsqlConnection connection, Guid jobId, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT step, value FROM training_metrics WHERE training_job_id = @job AND name = @name ORDER BY step", connection);
        command.Parameters.AddWithValue("job", jobId);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var points = new List<(double, double)>();
        while (await reader.ReadAsync(cancellationToken)) points.Add((reader.GetInt32(0), reader.GetDouble(1)));
        return points;
    }

    private static async Task<string> GalleryAsync(DatasetStorage storage, IReadOnlyList<Guid> iterationIds, int count, CancellationToken cancellationToken)
    {
        await using var db = storage.CreateDb();
        var pairs = await db.PairSets.Where(s => iterationIds.Contains(s.IterationId))
            .Join(db.Iterations, s => s.IterationId, i => i.Id, (s, i) => new { s.Id, i.Number })
            .Join(db.Pairs, s => s.Id, p => p.PairSetId, (s, p) => new { s.Number, Pair = p })
            .OrderByDescending(x => x.Number).ThenBy(x => x.Pair.ItemId).Take(count).Select(x => x.Pair)
            .Join(db.Candidates, p => p.ChosenCandidateId, c => c.Id, (p, chosen) => new { p, chosen })
            .Join(db.Candidates, x => x.p.RejectedCandidateId, c => c.Id, (x, rejected) => new { x.p.ItemId, x.chosen, rejected })
            .ToListAsync(cancellationToken);
        var scores = await db.Scores.Where(s => pairs.Select(p => p.chosen.Id).Contains(s.CandidateId) || pairs.Select(p => p.rejected.Id).Contains(s.CandidateId))
            .ToListAsync(cancellationToken);
        // An item whose image cannot be had (its blob gone or damaged since) costs its card, not the report.
        var load = await ItemLoader.LoadAsync(storage, [.. pairs.Select(p => p.ItemId).Distinct()], cancellationToken);
        var items = load.Loaded.ToDictionary(i => i.Row.Id);
        var html = new StringBuilder();
        foreach (var failure in load.Failed)
            html.Append("<div class=\"card\">item ").Append(failure.ItemId).Append(": no image (").Append(Encode(failure.Reason)).Append(")</div>");
        foreach (var pair in pairs.Where(p => items.ContainsKey(p.ItemId)))
        {
            var item = items[pair.ItemId];
            var boxes = new List<(Box, Rgb)>();
            if (item.Row.GtBox() is { } gt) boxes.Add((gt, new Rgb(21, 101, 192)));
            if (pair.rejected.ParsedBox() is { } lose) boxes.Add((lose, new Rgb(198, 40, 40)));
            if (pair.chosen.ParsedBox() is { } win) boxes.Add((win, new Rgb(26, 127, 55)));
            var image = BoxOverlay.Draw(Views.Global(item.Image, 256), boxes);
            string Score(long id) => scores.FirstOrDefault(s => s.CandidateId == id) is { } s
                ? string.Create(CultureInfo.InvariantCulture, $"s_r {s.AnswerScore:0.##} s_b {s.BoxScore:0.###}") : "";
            html.Append("<div class=\"card\"><img width=\"256\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(ImageCodec.EncodePng(image))).Append("\"><br>")
                .Append(Encode(item.Row.Question)).Append(" → <b>").Append(Encode(item.Row.StandardAnswer)).Append("</b><br>")
                .Append("<span class=\"win\">win: ").Append(Encode(pair.chosen.Answer)).Append(" (").Append(Score(pair.chosen.Id)).Append(")</span><br>")
                .Append("<span class=\"lose\">lose: ").Append(Encode(pair.rejected.Answer)).Append(" (").Append(Score(pair.rejected.Id)).Append(")</span></div>");
        }
        return pairs.Count == 0 ? "<p>(no pairs)</p>" : html.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
