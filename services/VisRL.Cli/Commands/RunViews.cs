using System.CommandLine;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;
using VisRL.Cli.Infrastructure;
using VisRL.Cli.Reports;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Cli.Commands;

/// <summary>
/// `visrl run list` and `visrl run show RUN [--follow]`: the runs PostgreSQL holds, and one run's iterations, training
/// jobs and results; `--follow` takes up the live view of `run start` again (after its --timeout, or in another terminal).
/// Plain lines, not tables: a table piped to another program is cut to 80 columns.
/// </summary>
internal static class RunViews
{
    public static Command List()
    {
        var limit = new Option<int>("--limit") { Description = "How many runs, newest first.", DefaultValueFactory = _ => 20 };
        limit.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--limit must be ≥ 1"); });
        var command = new Command("list", "The runs (and rounds started on their own), newest first: status, iterations completed, where the latest one is.") { limit };
        command.SetAction((parse, ct) => ListAsync(parse.GetValue(limit), ct));
        return command;
    }

    public static Command Show()
    {
        var reference = RunCommand.RunArgument();
        var follow = new Option<bool>("--follow") { Description = "Then follow it live, as `run start` does, to its end (exit 0 completed, 1 failed)." };
        var timeout = RunCommand.TimeoutOption();
        var command = new Command("show", "A run's iterations (state, items, pairs, failure), training jobs (steps) and evaluated checkpoints.") { reference, follow, timeout };
        command.SetAction((parse, ct) => ShowAsync(parse.GetValue(reference)!, parse.GetValue(follow), parse.GetValue(timeout), ct));
        return command;
    }

    private static VisRLDbContext Db() => PersistenceExtensions.CreateVisRLDbContext(CliSettings.Load().GetVisRLSettings<DatabaseOptions>());

    private static async Task<int> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var db = Db();
        var runs = await db.Runs.AsNoTracking().OrderByDescending(r => r.CreatedAt).Take(limit).ToListAsync(cancellationToken);
        if (runs.Count == 0)
        {
            AnsiConsole.MarkupLine("no runs yet ([grey]`visrl run start`, `visrl round start`, `visrl demo`[/])");
            return 0;
        }
        var ids = runs.Select(r => r.Id).ToList();
        var iterations = (await db.Iterations.AsNoTracking().Where(i => ids.Contains(i.RunId)).ToListAsync(cancellationToken)).ToLookup(i => i.RunId);
        var width = Math.Max("run".Length, runs.Max(r => r.Name.Length));
        Console.WriteLine($"{"run".PadRight(width)}  {"id",-36}  status     done   latest iteration   started (UTC)");
        foreach (var run in runs)
        {
            var latest = iterations[run.Id].MaxBy(i => i.Number);
            var done = latest is not null && RunCommand.IsOwnRound(latest) ? "round" : $"{iterations[run.Id].Count(i => i.State == "Completed")}/{run.PlannedIterations}";
            var now = latest is null ? "-" : $"{latest.Number}: {latest.State}";
            Console.WriteLine($"{run.Name.PadRight(width)}  {run.Id}  {run.Status,-9}  {done,-5}  {now,-17}  "
                + run.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        }
        return 0;
    }

    private static async Task<int> ShowAsync(string reference, bool follow, int timeoutSeconds, CancellationToken cancellationToken)
    {
        Run run;
        List<Iteration> iterations;
        await using (var db = Db())
        {
            run = await RunCommand.FindRunAsync(db, reference, cancellationToken);
            iterations = await db.Iterations.AsNoTracking().Where(i => i.RunId == run.Id).OrderBy(i => i.Number).ToListAsync(cancellationToken);
            var iterationIds = iterations.Select(i => i.Id).ToList();
            var pairs = await db.PairSets.AsNoTracking().Where(p => iterationIds.Contains(p.IterationId))
                .ToDictionaryAsync(p => p.Id, p => p.PairCount, cancellationToken);
            var jobs = (await db.TrainingJobs.AsNoTracking().Where(j => j.IterationId != null && iterationIds.Contains(j.IterationId.Value))
                .OrderBy(j => j.CreatedAt).ToListAsync(cancellationToken)).ToLookup(j => j.IterationId!.Value);
            var results = (await RunReport.CollectAsync(db, run.Id, cancellationToken)).Results;

            var done = iterations is [var only] && RunCommand.IsOwnRound(only) ? "a round started on its own" : $"{iterations.Count(i => i.State == "Completed")} of {run.PlannedIterations} iteration(s) completed";
            Console.WriteLine($"run {run.Name} ({run.Id}): {run.Status}, {done}; started {Utc(run.CreatedAt)}, last change {Utc(run.UpdatedAt)}");
            foreach (var it in iterations)
            {
                var pairCount = it.PairSetId is { } set && pairs.TryGetValue(set, out var count) ? $", {count} pairs" : "";
                var resumes = it.Resumes > 0 ? $", resumed {it.Resumes}×" : "";
                Console.WriteLine($"iteration {it.Number} ({it.Id}): {it.State}, {it.ItemCount} items in {it.BatchCount} batches{pairCount}{resumes}"
                    + (it.State == "Failed" && it.FailureReason is { } reason ? $": {reason}" : ""));
                foreach (var job in jobs[it.Id])
                    Console.WriteLine($"  {job.Stage}: {job.Status}, {job.CompletedSteps}/{job.PlannedSteps} steps"
                        + (job.FailureReason is { } failure ? $": {failure}" : ""));
            }
            if (results.Count > 0) Console.WriteLine("results (answer / detection accuracy):");
            foreach (var r in results)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {r.Label}: {r.AnswerAccuracy:P1} / {(r.DetectionAccuracy is { } d ? d.ToString("P1", CultureInfo.InvariantCulture) : "-")} on {r.Items} items, checkpoint {r.Checkpoint[..12]}"));
        }
        if (!follow) return 0;
        return iterations.LastOrDefault() is { } latest
            ? await RunCommand.FollowAsync(CliSettings.Load().GetVisRLSettings<DatabaseOptions>(), latest, timeoutSeconds, cancellationToken)
            : await RunCommand.FollowAsync(run.Id, timeoutSeconds, cancellationToken);
    }

    private static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
}
