using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;
using VisRL.Cli.Infrastructure;
using VisRL.Contracts.V1;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Cli.Commands;

/// <summary>
/// `visrl run start`: a whole self-evolution run through the services (StartRun): each iteration
/// samples, scores, filters, trains DPO stage 1 and 2 and evaluates, and the next one samples from
/// the new policy. Followed live from PostgreSQL until the run completes (exit 0) or fails (exit 1).
/// `visrl run retry`: a failed run taken up again where its iteration stopped (ResumeIteration), and followed the same way.
/// `visrl run list` and `visrl run show`: <see cref="RunViews"/>.
/// </summary>
internal static class RunCommand
{
    public static Command Create() => new("run", "Self-evolution runs (iterations of sample → score → filter → DPO → evaluate) through the running services.") { Start(), Retry(), RunViews.List(), RunViews.Show() };

    /// <summary>The run a command is about.</summary>
    internal static Argument<string> RunArgument() =>
        new("run") { Description = "The run's name, its id or a unique prefix of it (4+ hex characters), or the id of one of its rounds." };

    internal static Option<int> TimeoutOption() =>
        new("--timeout") { Description = "Stop following after this many seconds (exit 2; the run goes on); 0 waits for the end.", DefaultValueFactory = _ => 0 };

    private static Command Start()
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset name (its rl split is sampled, its test split evaluated).", Required = true };
        var policy = new Option<string>("--policy") { Description = "Start policy (the SFT checkpoint): hash, prefix (8+) or id.", Required = true };
        var judge = new Option<string>("--judge") { Description = "Judge M_org checkpoint: hash, prefix (8+) or id.", Required = true };
        var iterations = new Option<int>("--iterations") { Description = "Iterations (Iter1, Iter2, …).", DefaultValueFactory = _ => 1 };
        var items = new Option<int?>("--items") { Description = "Sample only the first N items of the split per iteration." };
        var name = new Option<string?>("--name") { Description = "A name for the run." };
        var configFile = new Option<string?>("--config") { Description = "Round config JSON (split, batchSize, sampling {…}, thresholds {…}, training {dpo {…}, evalSplit, evalItems})." };
        var timeout = TimeoutOption();
        var command = new Command("start", "Start a run (StartRun) and follow it until it completes or fails.") { dataset, policy, judge, iterations, items, name, configFile, timeout };
        // On the option's own tokens: a command validator reads 0 for an option left at its default.
        iterations.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && (!int.TryParse(result.Tokens[0].Value, out int n) || n < 1)) result.AddError("--iterations must be ≥ 1");
        });
        command.Validators.Add(result =>
        {
            if (result.GetValue(items) is < 1) result.AddError("--items must be ≥ 1");
        });
        command.SetAction(async (parse, ct) =>
        {
            var config = RoundCommand.BuildConfig(parse.GetValue(configFile), noBoxCritic: false, noDiversity: false);
            var stores = new CliStores();
            var policyRef = await stores.Checkpoints.ResolveAsync(parse.GetValue(policy)!, ct);
            var judgeRef = await stores.Checkpoints.ResolveAsync(parse.GetValue(judge)!, ct);
            var runId = NewId.NextGuid();
            var start = new StartRun(runId, parse.GetValue(name) ?? $"run-{runId.ToString()[..8]}", parse.GetValue(dataset)!, policyRef.ContentHash,
                judgeRef.ContentHash, parse.GetValue(iterations), parse.GetValue(items), config.ToJsonString());
            await CliHost.PublishAsync(start, ct);
            AnsiConsole.MarkupLine(Markup.Escape($"run {runId}: {start.Iterations} iteration(s) on {start.Dataset}, policy {policyRef.ContentHash[..12]}, judge {judgeRef.ContentHash[..12]}"));
            return await FollowAsync(runId, parse.GetValue(timeout), ct);
        });
        return command;
    }

    private static Command Retry()
    {
        var reference = RunArgument();
        var timeout = TimeoutOption();
        var set = new Option<string[]>("--set")
        {
            Description = "Change a setting the iteration has not used yet, e.g. thresholds.minBox=0.3: the evaluation's (training.evalDataset, "
                + "evalSplit, evalItems) while nothing is evaluated, and before its pairs also the thresholds, training.dpo, maxBatchAttempts, "
                + "stuckAfterSeconds and an endpoint's baseUrl and timeouts. The value is JSON, or else text. Repeatable; the run's later iterations use it too.",
        };
        var configFile = new Option<string?>("--config") { Description = "A JSON object of such changes, merged over the iteration's config (--set goes over it)." };
        var command = new Command("retry", "Take a failed run up again where its iteration stopped (its failed batches, the filter, a DPO stage or the evaluation), keeping what it has, and follow it.")
        {
            reference, set, configFile, timeout,
        };
        command.SetAction((parse, ct) => RetryAsync(parse.GetValue(reference)!, ConfigChanges.From(parse.GetValue(configFile), parse.GetValue(set) ?? []),
            parse.GetValue(timeout), ct));
        return command;
    }

    private static async Task<int> RetryAsync(string reference, JsonObject? changes, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var database = CliSettings.Load().GetVisRLSettings<DatabaseOptions>();
        Run run;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
            run = await FindRunAsync(db, reference, cancellationToken);
        var resumed = await ResumeAsync(database, run, cancellationToken, changes);
        return await FollowAsync(database, resumed.RunId, IsOwnRound(resumed) ? resumed.Id : null, timeoutSeconds, cancellationToken);
    }

    /// <summary>An iteration without training is a round started on its own, which ends at Paired (a run's iterations always train).</summary>
    internal static bool IsOwnRound(Iteration iteration) => JsonNode.Parse(iteration.ConfigJson)?["training"] is null;

    /// <summary>The run's live view, or for a round started on its own (<paramref name="ownRound"/>, its iteration) the round's view, which shows its batches.</summary>
    internal static Task<int> FollowAsync(DatabaseOptions database, Guid runId, Guid? ownRound, int timeoutSeconds, CancellationToken cancellationToken) =>
        ownRound is { } round
            ? RoundCommand.FollowAsync(database, round, timeoutSeconds, cancellationToken)
            : FollowAsync(runId, timeoutSeconds, cancellationToken);

    /// <summary>The run's failed iteration, once the Orchestrator has taken it up again (ResumeIteration) with <paramref name="changes"/>.</summary>
    /// <exception cref="InvalidOperationException">None of its iterations failed, the failed one has nothing to take up, or the
    /// Orchestrator refused the changes (the reason names them).</exception>
    internal static async Task<Iteration> ResumeAsync(DatabaseOptions database, Run run, CancellationToken cancellationToken, JsonObject? changes = null)
    {
        Iteration failed;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
            failed = await db.Iterations.AsNoTracking().Where(i => i.RunId == run.Id && i.State == "Failed").OrderByDescending(i => i.Number)
                .FirstOrDefaultAsync(cancellationToken)
                ?? throw new InvalidOperationException($"run {run.Name} is {run.Status}: none of its iterations failed, so there is nothing to retry");
        // The Orchestrator leaves these as they are (ResumePoint.None): refused here, where the user can be told why.
        if (failed.BatchCount == 0)
            throw new InvalidOperationException($"iteration {failed.Number} of run {run.Name} was rejected before it sampled anything ({failed.FailureReason}); " +
                "there is nothing to take up: mend that and start a new run");
        AnsiConsole.MarkupLine(Markup.Escape($"run {run.Name}: iteration {failed.Number} failed ({failed.FailureReason}); taking it up again"));
        var request = new ResumeIteration(failed.RunId, failed.Id, changes?.ToJsonString(), NewId.NextGuid());
        await CliHost.PublishAsync(request, cancellationToken);
        var (resumed, changed) = await WaitForResumeAsync(database, failed, request.RequestId!.Value, cancellationToken);
        AnsiConsole.MarkupLine(Markup.Escape($"iteration {resumed.Number} resumed in {resumed.State} (resume {resumed.Resumes})"
            + (changed.Length > 0 ? $" with {string.Join(", ", changed)} changed" : "")));
        return resumed;
    }

    /// <summary>A run by name, or by a prefix of its id or of one of its iterations' ids.</summary>
    internal static async Task<Run> FindRunAsync(VisRLDbContext db, string reference, CancellationToken cancellationToken)
    {
        var runs = await db.Runs.AsNoTracking().Where(r => r.Name == reference).ToListAsync(cancellationToken);
        var prefix = reference.ToLowerInvariant();
        if (runs.Count == 0 && prefix.Length >= 4 && prefix.All(c => Uri.IsHexDigit(c) || c == '-'))
            runs = await db.Runs.FromSqlInterpolated($"SELECT * FROM runs WHERE id::text LIKE {prefix + "%"} OR id IN (SELECT run_id FROM iterations WHERE id::text LIKE {prefix + "%"})")
                .AsNoTracking().ToListAsync(cancellationToken);
        return runs switch
        {
            [var run] => run,
            [] => throw new KeyNotFoundException($"no run is named '{reference}', and none has it as the start of its id or of one of its rounds' ids"),
            _ => throw new ArgumentException($"'{reference}' matches {runs.Count} runs ({string.Join(", ", runs.Take(3).Select(r => r.Name))}…): give more of the id"),
        };
    }

    /// <summary>
    /// The iteration once the Orchestrator has taken it up, and the settings the request changed: the request's row is
    /// written in the same commit that resumes the iteration and sends its commands, or alone with the refusal.
    /// </summary>
    private static async Task<(Iteration Resumed, string[] Changed)> WaitForResumeAsync(DatabaseOptions database, Iteration failed, Guid requestId,
        CancellationToken cancellationToken)
    {
        var patience = TimeSpan.FromSeconds(30);
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < patience; await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken))
        {
            await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
            if (await db.IterationResumeRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Id == requestId, cancellationToken) is not { } request) continue;
            if (request.Refusal is not null) throw new InvalidOperationException($"iteration {failed.Number} was not resumed: {request.Refusal}");
            return (await db.Iterations.AsNoTracking().SingleAsync(i => i.Id == failed.Id, cancellationToken), request.Changed);
        }
        throw new TimeoutException($"the Orchestrator did not take up iteration {failed.Number} within {patience.TotalSeconds:F0} s: is it running? " +
            "(visrl stack services; visrl doctor). The ResumeIteration waits in its queue and is taken up when it starts");
    }

    /// <summary>A live view of the run: each iteration's state and its training jobs' steps, polled once a second.</summary>
    public static async Task<int> FollowAsync(Guid runId, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var database = CliSettings.Load().GetVisRLSettings<DatabaseOptions>();
        var clock = Stopwatch.StartNew();
        string status = "waiting";
        string? failure = null;
        await AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                ProgressTask Task(string key) => tasks.TryGetValue(key, out var t) ? t : tasks[key] = context.AddTask(Markup.Escape(key), maxValue: 1);
                var head = Task("run");
                while (!cancellationToken.IsCancellationRequested)
                {
                    await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
                    {
                        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken);
                        var iterations = await db.Iterations.AsNoTracking().Where(i => i.RunId == runId).OrderBy(i => i.Number).ToListAsync(cancellationToken);
                        var jobs = await db.TrainingJobs.AsNoTracking().Where(j => j.RunId == runId).OrderBy(j => j.CreatedAt).ToListAsync(cancellationToken);
                        status = run?.Status ?? "waiting";
                        head.Description = Markup.Escape(run is null ? "waiting for the orchestrator (visrl stack services)" : $"run {run.Name}: {status}");
                        head.MaxValue = Math.Max(1, run?.PlannedIterations ?? 1);
                        head.Value = iterations.Count(i => i.State == "Completed");
                        foreach (var it in iterations)
                        {
                            var t = Task($"iteration {it.Number}");
                            t.Description = Markup.Escape($"iteration {it.Number}: {it.State} ({it.ItemCount} items)");
                            t.Value = StateProgress(it.State);
                            if (it.State == "Failed") failure = $"iteration {it.Number}: {it.FailureReason}";
                        }
                        foreach (var job in jobs)
                        {
                            var t = Task($"  {job.Stage} {job.Id.ToString()[..8]}");
                            t.MaxValue = Math.Max(1, job.PlannedSteps);
                            t.Value = job.CompletedSteps;
                            t.Description = Markup.Escape($"  {job.Stage}: {job.Status} {job.CompletedSteps}/{job.PlannedSteps} steps");
                        }
                    }
                    if (status is "completed" or "failed") { head.Value = head.MaxValue; break; }
                    if (timeoutSeconds > 0 && clock.Elapsed.TotalSeconds > timeoutSeconds) break;
                    await System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
            });
        switch (status)
        {
            case "completed":
                AnsiConsole.MarkupLine($"[green]{Markup.Escape($"run {runId} completed in {clock.Elapsed.TotalSeconds:F0} s")}[/]");
                return 0;
            case "failed":
                AnsiConsole.MarkupLine($"[red]run failed:[/] {Markup.Escape(failure ?? "(see the iterations table)")}");
                return 1;
            default:
                AnsiConsole.MarkupLine($"[yellow]{Markup.Escape($"stopped following after {timeoutSeconds} s; the run is {status} (`visrl run show {runId} --follow` follows it again)")}[/]");
                return 2;
        }
    }

    private static double StateProgress(string state) => state switch
    {
        "Sampling" => 0.1, "Scoring" => 0.3, "Filtering" => 0.45, "TrainingBox" => 0.55, "TrainingAnswer" => 0.75, "Evaluating" => 0.9,
        "Completed" or "Paired" or "Failed" => 1, _ => 0,
    };
}
