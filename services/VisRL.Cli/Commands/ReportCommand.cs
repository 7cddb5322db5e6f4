using System.CommandLine;
using System.Text;
using Spectre.Console;
using VisRL.Cli.Infrastructure;
using VisRL.Cli.Reports;
using VisRL.Data;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;

namespace VisRL.Cli.Commands;

/// <summary>`visrl report --run R`: a run's HTML report (results, paired step differences, pair statistics, curves, gallery) to a local folder and the exports container.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var run = new Option<Guid>("--run") { Description = "The run's id (visrl run start prints it).", Required = true };
        var output = new Option<string?>("--out") { Description = "Local folder for report.html (default artifacts/reports/RUN)." };
        var command = new Command("report", "Write a run's HTML report: results per iteration, pair statistics, loss and reward-margin curves, win/lose gallery.") { run, output };
        command.SetAction(async (parse, ct) =>
        {
            var runId = parse.GetValue(run);
            var stores = new CliStores();
            var database = CliSettings.Load().GetVisRLSettings<DatabaseOptions>();
            RunReportData data;
            IReadOnlyList<StepComparison> steps;
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
            {
                data = await RunReport.CollectAsync(db, runId, ct);
                steps = await StepComparisons.CollectAsync(db, data.Results, ct);
            }
            var file = await WriteAsync(stores.Datasets, database, $"VisRL.Workflow run {data.RunName}", data.Results, steps, data.Jobs, data, null,
                parse.GetValue(output) ?? Repository.PathOf("artifacts", "reports", runId.ToString("N")), $"runs/{runId:N}/report.html", ct);
            AnsiConsole.MarkupLine($"[green]report[/] {Markup.Escape(file)}");
            return 0;
        });
        return command;
    }

    /// <summary>Builds the report and writes it to <paramref name="folder"/>/report.html and to the exports container under <paramref name="blobKey"/>.</summary>
    public static async Task<string> WriteAsync(DatasetStorage storage, DatabaseOptions database, string title, IReadOnlyList<ResultRow> results,
        IReadOnlyList<StepComparison> steps, IReadOnlyList<JobCurves> jobs, RunReportData run, string? seedSummaryHtml, string folder, string blobKey, CancellationToken ct)
    {
        var html = await HtmlReport.BuildAsync(storage, database.ConnectionString, title, results, steps, jobs, run.IterationIds, run.Status, run.ConfigJson, seedSummaryHtml, ct);
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "report.html");
        await File.WriteAllTextAsync(file, html, ct);
        await storage.Blobs.PutAsync(storage.ExportsContainer, blobKey, Encoding.UTF8.GetBytes(html), "text/html", ct);
        return file;
    }
}
