using System.CommandLine;
using System.Globalization;
using Npgsql;
using Spectre.Console;
using VisRL.Cli.Infrastructure;
using VisRL.Platform.Configuration;

namespace VisRL.Cli.Commands;

/// <summary>
/// `visrl stats ROUND`: a round's preference statistics, read from the views of migration 0002
/// (round_counts, round_score_summary, round_family_acceptance, pair_box_quadrants) as tables, and the
/// items it had to leave out (work_failures). `--json`: the same rows, with every column, for scripts.
/// </summary>
internal static class StatsCommand
{
    private static readonly (string View, string Title, string OrderBy, string Empty)[] Views =
    [
        ("round_counts", "counts", "pair_set", "no rows yet"),
        ("round_score_summary", "scores of chosen and rejected candidates", "pair_set, side, score", "no rows yet"),
        ("round_family_acceptance", "acceptance by question family", "pair_set, family", "no rows yet"),
        ("pair_box_quadrants", "win/lose boxes against the GT box (IoU > 0.5)", "pair_set", "no rows yet"),
        ("work_failures", "items left out, and why", "stage, item_id", "none: no item was left out"),
    ];

    /// <summary>Ids the tables would only repeat (the round is named in the heading).</summary>
    private static readonly HashSet<string> Hidden = ["run_id", "iteration_id", "pair_set_id", "id"];

    public static Command Create()
    {
        var round = new Argument<string>("round") { Description = "Iteration id, a unique prefix of it, or 'latest'." };
        var json = JsonOutput.Option("Print JSON: the round, and each view's rows with every column (named as in SQL).");
        var command = new Command("stats", "Print a round's preference statistics (counts, scores, family acceptance, box quadrants) and the items it left out.") { round, json };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(round)!, parse.GetValue(json), ct));
        return command;
    }

    internal static async Task<int> RunAsync(string round, bool json, CancellationToken cancellationToken)
    {
        var database = CliSettings.Load().GetVisRLSettings<DatabaseOptions>();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var (id, number, state) = await ResolveAsync(connection, round, cancellationToken);
        var views = new List<(string View, string Title, string Empty, ViewRows Rows)>();
        foreach (var (view, title, orderBy, empty) in Views) views.Add((view, title, empty, await ReadViewAsync(connection, view, orderBy, id, cancellationToken)));
        if (json)
        {
            var document = new Dictionary<string, object>
            {
                ["round"] = new { id, number, state },
                ["views"] = views.ToDictionary(v => v.View, v => v.Rows.Rows.Select(row => v.Rows.Columns.Zip(row).ToDictionary(c => c.First, c => c.Second))),
            };
            JsonOutput.Print(document);
            return 0;
        }
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape($"round {id} (iteration {number}, {state})")}[/]");
        foreach (var (view, title, empty, (columnNames, rows)) in views)
        {
            var columns = Enumerable.Range(0, columnNames.Length).Where(i => !Hidden.Contains(columnNames[i])).ToList();
            var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{view}: {title}"));
            foreach (var i in columns) table.AddColumn(new TableColumn(Markup.Escape(columnNames[i])).RightAligned());
            foreach (var row in rows) table.AddRow([.. columns.Select(i => Markup.Escape(Format(row[i])))]);
            if (rows.Count == 0) table.Caption($"[grey]({empty})[/]");
            AnsiConsole.Write(table);
        }
        return 0;
    }

    /// <summary>A view's column names and its rows (null for SQL NULL).</summary>
    private sealed record ViewRows(string[] Columns, List<object?[]> Rows);

    private static async Task<ViewRows> ReadViewAsync(NpgsqlConnection connection, string view, string orderBy, Guid iterationId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT * FROM {view} WHERE iteration_id = @id ORDER BY {orderBy}", connection);
        command.Parameters.AddWithValue("id", iterationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(cancellationToken))
            rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i))]);
        return new ViewRows(columns, rows);
    }

    private static string Format(object? value) => value switch
    {
        null => "-",
        double d => d.ToString("0.000", CultureInfo.InvariantCulture),
        float f => f.ToString("0.000", CultureInfo.InvariantCulture),
        decimal m => m.ToString("0.000", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>'latest' (most recently created), a full iteration id, or a unique prefix of one.</summary>
    private static async Task<(Guid Id, int Number, string State)> ResolveAsync(NpgsqlConnection connection, string round, CancellationToken cancellationToken)
    {
        string sql;
        var command = new NpgsqlCommand { Connection = connection };
        if (round.Equals("latest", StringComparison.OrdinalIgnoreCase))
            sql = "SELECT id, number, state FROM iterations ORDER BY created_at DESC LIMIT 2";
        else if (Guid.TryParse(round, out var id))
        {
            sql = "SELECT id, number, state FROM iterations WHERE id = @id";
            command.Parameters.AddWithValue("id", id);
        }
        else
        {
            var prefix = round.ToLowerInvariant();
            if (prefix.Length < 4 || prefix.Any(c => !Uri.IsHexDigit(c) && c != '-'))
                throw new ArgumentException($"'{round}' is not an iteration id, a prefix of one (4+ hex characters) or 'latest'");
            sql = "SELECT id, number, state FROM iterations WHERE id::text LIKE @prefix LIMIT 2";
            command.Parameters.AddWithValue("prefix", prefix + "%");
        }
        command.CommandText = sql;
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var found = new List<(Guid, int, string)>();
            while (await reader.ReadAsync(cancellationToken)) found.Add((reader.GetGuid(0), reader.GetInt32(1), reader.GetString(2)));
            if (found.Count == 0) throw new KeyNotFoundException($"no round matches '{round}'");
            if (found.Count > 1 && !round.Equals("latest", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"'{round}' matches several rounds: give more of the id");
            return found[0];
        }
    }
}
