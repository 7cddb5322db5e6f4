using System.CommandLine;
using System.Diagnostics;
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
/// Plain lines, not tables: a table piped to another program is cut to 80 columns. `--json` gives the same records
/// as JSON for scripts (with `--follow`, once the run has ended, and no live view).
/// </summary>
internal static class RunViews
{
    private const string JsonDescription = "Print JSON (camelCase; accuracies as fractions, times in UTC) instead of lines, for scripts.";

    public static Command List()
    {
        var limit = new Option<int>("--limit") { Description = "How many runs, newest first.", DefaultValueFactory = _ => 20 };
        limit.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--limit must be ≥ 1"); });
        var json = JsonOutput.Option(JsonDescription);
        var command = new Command("list", "The runs (and rounds started on their own), newest first: status, iterations completed, where the latest one is.") { limit, json };
        command.SetAction((parse, ct) => ListAsync(parse.GetValue(limit), parse.GetValue(json), ct));
        return command;
    }

    public static Command Show()
    {
        var reference = RunCommand.RunArgument();
        var follow = new Option<bool>("--follow") { Description = "Then follow it live, as `run start` does, to its end (exit 0 completed, 1 failed)." };
        var timeout = RunCommand.TimeoutOption();
        var json = JsonOutput.Option(JsonDescription);
        var command = new Command("show", "A run's iterations (state, items, pairs, failure), training jobs (steps) and evaluated checkpoints.") { reference, follow, timeout, json };
        command.SetAction((parse, ct) => ShowAsync(parse.GetValue(reference)!, parse.GetValue(follow), parse.GetValue(timeout), parse.GetValue(json), ct));
        return command;
    }

    private static DatabaseOptions Database() => CliSettings.Load().GetVisRLSettings<DatabaseOptions>();

    private static async Task<int> ListAsync(int limit, bool json, CancellationToken cancellationToken)
    {
        List<RunSummary> runs;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(Database()))
        {
            var rows = await db.Runs.AsNoTracking().OrderByDescending(r => r.CreatedAt).Take(limit).ToListAsync(cancellationToken);
            var ids = rows.Select(r => r.Id).ToList();
            var iterations = (await db.Iterations.AsNoTracking().Where(i => ids.Contains(i.RunId)).ToListAsync(cancellationToken)).ToLookup(i => i.RunId);
            runs = [.. rows.Select(r => RunSummary.Of(r, [.. iterations[r.Id]]))];
        }
        if (json)
        {
            JsonOutput.Print(runs);
            return 0;
        }
        if (runs.Count == 0)
        {
            AnsiConsole.MarkupLine("no runs yet ([grey]`visrl run start`, `visrl round start`, `visrl demo`[/])");
            return 0;
        }
        var width = Math.Max("run".Length, runs.Max(r => r.Name.Length));
        Console.WriteLine($"{"run".PadRight(width)}  {"id",-36}  status     done   latest iteration   started (UTC)");
        foreach (var run in runs)
        {
            var done = run.OwnRound ? "round" : $"{run.CompletedIterations}/{run.PlannedIterations}";
            var now = run.Latest is { } latest ? $"{latest.Number}: {latest.State}" : "-";
            Console.WriteLine($"{run.Name.PadRight(width)}  {run.Id}  {run.Status,-9}  {done,-5}  {now,-17}  "
                + run.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        }
        return 0;
    }

    private static async Task<int> ShowAsync(string reference, bool follow, int timeoutSeconds, bool json, CancellationToken cancellationToken)
    {
        var database = Database();
        RunDetail detail;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
            detail = await RunDetail.ReadAsync(db, await RunCommand.FindRunAsync(db, reference, cancellationToken), cancellationToken);
        if (json)
        {
            var exitCode = 0;
            if (follow)
            {
                exitCode = await WaitForEndAsync(database, detail.Run.Id, timeoutSeconds, cancellationToken);
                await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
                detail = await RunDetail.ReadAsync(db, await db.Runs.AsNoTracking().SingleAsync(r => r.Id == detail.Run.Id, cancellationToken), cancellationToken);
            }
            JsonOutput.Print(detail);
            return exitCode;
        }
        Print(detail);
        if (!follow) return 0;
        return await RunCommand.FollowAsync(database, detail.Run.Id, detail.Run.OwnRound ? detail.Iterations[^1].Id : null, timeoutSeconds, cancellationToken);
    }

    private static void Print(RunDetail detail)
    {
        var run = detail.Run;
        var done = run.OwnRound ? "a round started on its own" : $"{run.CompletedIterations} of {run.PlannedIterations} iteration(s) completed";
        Console.WriteLine($"run {run.Name} ({run.Id}): {run.Status}, {done}; started {Utc(run.CreatedAt)}, last change {Utc(run.UpdatedAt)}");
        foreach (var it in detail.Iterations)
        {
            var pairs = it.Pairs is { } count ? $", {count} pairs" : "";
            var resumes = it.Resumes > 0 ? $", resumed {it.Resumes}×" : "";
            Console.WriteLine($"iteration {it.Number} ({it.Id}): {it.State}, {it.Items} items in {it.Batches} batches{pairs}{resumes}"
                + (it.State == "Failed" && it.FailureReason is { } reason ? $": {reason}" : ""));
            foreach (var job in it.TrainingJobs)
                Console.WriteLine($"  {job.Stage}: {job.Status}, {job.CompletedSteps}/{job.PlannedSteps} steps" + (job.FailureReason is { } failure ? $": {failure}" : ""));
        }
        if (detail.Results.Count > 0) Console.WriteLine("results (answer / detection accuracy):");
        foreach (var r in detail.Results)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Label}: {r.AnswerAccuracy:P1} / {(r.DetectionAccuracy is { } d ? d.ToString("P1", CultureInfo.InvariantCulture) : "-")} on {r.Items} items, checkpoint {r.Checkpoint[..12]}"));
    }

    /// <summary>
    /// Waits without a live view until the run has completed (0) or failed (1), or until <paramref name="timeoutSeconds"/>
    /// have passed (2; 0 waits for the end): the exit codes of the live view. A round started on its own completes at Paired.
    /// </summary>
    private static async Task<int> WaitForEndAsync(DatabaseOptions database, Guid runId, int timeoutSeconds, CancellationToken cancellationToken)
    {
        for (var clock = Stopwatch.StartNew(); ; await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken))
        {
            await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
            switch (await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => r.Status).SingleAsync(cancellationToken))
            {
                case "completed": return 0;
                case "failed": return 1;
            }
            if (timeoutSeconds > 0 && clock.Elapsed.TotalSeconds > timeoutSeconds) return 2;
        }
    }

    private static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
}

/// <summary>A run as `run list` gives it. <see cref="OwnRound"/>: a round started on its own, whose run is this one iteration.</summary>
internal sealed record RunSummary(Guid Id, string Name, string Status, bool OwnRound, int PlannedIterations, int CompletedIterations,
    IterationState? Latest, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static RunSummary Of(Run run, IReadOnlyCollection<Iteration> iterations)
    {
        var latest = iterations.MaxBy(i => i.Number);
        return new RunSummary(run.Id, run.Name, run.Status, latest is not null && RunCommand.IsOwnRound(latest), run.PlannedIterations,
            iterations.Count(i => i.State == "Completed"), latest is null ? null : new IterationState(latest.Number, latest.State), run.CreatedAt, run.UpdatedAt);
    }
}

internal sealed record IterationState(int Number, string State);

/// <summary>A run as `run show` gives it: its iterations with their training jobs, and its evaluated checkpoints.</summary>
internal sealed record RunDetail(RunSummary Run, IReadOnlyList<IterationDetail> Iterations, IReadOnlyList<ResultRow> Results)
{
    public static async Task<RunDetail> ReadAsync(VisRLDbContext db, Platform.Persistence.Entities.Run run, CancellationToken cancellationToken)
    {
        var iterations = await db.Iterations.AsNoTracking().Where(i => i.RunId == run.Id).OrderBy(i => i.Number).ToListAsync(cancellationToken);
        var iterationIds = iterations.Select(i => i.Id).ToList();
        var pairs = await db.PairSets.AsNoTracking().Where(p => iterationIds.Contains(p.IterationId)).ToDictionaryAsync(p => p.Id, p => p.PairCount, cancellationToken);
        var jobs = (await db.TrainingJobs.AsNoTracking().Where(j => j.IterationId != null && iterationIds.Contains(j.IterationId.Value))
            .OrderBy(j => j.CreatedAt).ToListAsync(cancellationToken)).ToLookup(j => j.IterationId!.Value);
        var results = (await RunReport.CollectAsync(db, run.Id, cancellationToken)).Results;
        return new RunDetail(RunSummary.Of(run, iterations), [.. iterations.Select(it => new IterationDetail(it.Number, it.Id, it.State, it.ItemCount, it.BatchCount,
                it.PairSetId is { } set && pairs.TryGetValue(set, out var count) ? count : null, it.Resumes, it.FailureReason,
                [.. jobs[it.Id].Select(j => new JobDetail(j.Id, j.Stage, j.Status, j.CompletedSteps, j.PlannedSteps, j.FailureReason))]))],
            results);
    }
}

internal sealed record IterationDetail(int Number, Guid Id, string State, int Items, int Batches, int? Pairs, int Resumes, string? FailureReason,
    IReadOnlyList<JobDetail> TrainingJobs);

internal sealed record JobDetail(Guid Id, string Stage, string Status, int CompletedSteps, int PlannedSteps, string? FailureReason);
