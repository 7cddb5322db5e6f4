using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;
using VisRL.Cli.Infrastructure;
using VisRL.Cli.Reports;
using VisRL.Contracts.V1;
using VisRL.Data.Synthetic;
using VisRL.Modeling;
using VisRL.Platform.Configuration;
using VisRL.Platform.Identity;
using VisRL.Platform.Persistence;
using VisRL.Training;

namespace VisRL.Cli.Commands;

/// <summary>
/// `visrl demo`: the whole system on a fresh machine. Brings up the stack and the services (two
/// Sampler replicas), makes the synthetic splits, trains M_org and the SFT policy on the Trainer,
/// runs one self-evolution iteration (sample → score → filter → DPO stage 1 → stage 2 → evaluate)
/// through the Orchestrator, evaluates base and SFT, prints Base / SFT / SFT+RL1 / SFT+RL1+RL2 and
/// the pair statistics, and writes an HTML report. Every id derives from the plan, so running the
/// demo again reuses what is done (trained checkpoints, evaluations) and resumes what is not.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var full = new Option<bool>("--full") { Description = "The larger reproduction (bigger splits, longer training); takes longer." };
        var output = new Option<string?>("--out") { Description = "Local folder for report.html (default artifacts/demo)." };
        var planFile = new Option<FileInfo?>("--plan") { Description = "A demo plan as JSON (name, dataset, seed, split sizes, samplers, batchSize, training {…}, dpo {…}, timeoutSeconds) instead of the built-in one." };
        var command = new Command("demo", "Run the whole system end to end: stack, services, data, M_org, SFT, one self-evolution iteration with DPO, evaluation, report.") { full, output, planFile };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var plan = parse.GetValue(planFile) is { } file ? DemoPlan.Load(file.FullName) : parse.GetValue(full) ? DemoPlan.Full : DemoPlan.Quick;
                return await RunAsync(plan, parse.GetValue(output) ?? Repository.PathOf("artifacts", "demo"), ct);
            }
            catch (Exception e) when (e is DemoStepException or ArgumentException or JsonException or KeyNotFoundException or InvalidOperationException or IOException)
            {
                AnsiConsole.MarkupLine($"[red]demo failed:[/] {Markup.Escape(e.Message)}");
                return 1;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(DemoPlan plan, string outputFolder, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var planJson = JsonSerializer.Serialize(plan, JsonSerializerOptions.Web);
        var planId = DerivedIds.For(Guid.Empty, planJson); // same plan → same jobs, evaluations and run
        Step(clock, $"plan {plan.Name} ({planId.ToString()[..8]})");
        Check(await StackCommand.UpAsync(ct), "the local stack did not start (infra/stack.sh up)");
        Check(await DbCommand.MigrateAsync(ct), "the database migration failed (visrl db migrate)");
        Check(await Scripts.RunAsync("infra/services.sh", ["up", $"sampler={plan.Samplers}"], ct), "the services did not start (infra/services.sh up)");

        var stores = new CliStores();
        var database = CliSettings.Load().GetVisRLSettings<DatabaseOptions>();
        Step(clock, "synthetic splits");
        var writer = new SyntheticDatasetWriter(stores.Datasets);
        foreach (var (split, count, offset) in new[] { ("base", plan.BaseItems, 1UL), ("sft", plan.SftItems, 2UL), ("rl", plan.RlItems, 3UL), ("test", plan.TestItems, 4UL) })
        {
            var written = await writer.WriteAsync(plan.Dataset, split, count, SyntheticSplitSpec.Create(plan.Seed + offset), null, ct);
            AnsiConsole.MarkupLine(Markup.Escape($"  {plan.Dataset}/{split}: {written.Written} written, {written.AlreadyPresent} present"));
        }

        Step(clock, "M_org (base, no CoT) on the Trainer");
        var baseJob = DerivedIds.For(planId, "base");
        var baseCheckpoint = await TrainAsync(stores, new TrainStage(baseJob, planId, null, TrainingStage.Base, "", null,
            Json(new SupervisedStageSettings(plan.Dataset, "base", null, plan.Training))), ct);
        Step(clock, "SFT warm-up (two-turn, with boxes) on the Trainer");
        var sftJob = DerivedIds.For(planId, "sft");
        var sftCheckpoint = await TrainAsync(stores, new TrainStage(sftJob, planId, null, TrainingStage.Sft, baseCheckpoint, null,
            Json(new SupervisedStageSettings(plan.Dataset, "sft", null, plan.Training))), ct);

        Step(clock, "evaluating Base (no CoT) and SFT (CoT) on the Trainer");
        var baseEval = new Evaluate(DerivedIds.For(planId, "eval/base"), planId, null, baseCheckpoint, plan.Dataset, "test", false, plan.TestItems);
        var sftEval = new Evaluate(DerivedIds.For(planId, "eval/sft"), planId, null, sftCheckpoint, plan.Dataset, "test", true, plan.TestItems);
        await CliHost.PublishAsync(baseEval, ct);
        await CliHost.PublishAsync(sftEval, ct);

        Step(clock, "self-evolution iteration through the services");
        var runId = DerivedIds.For(planId, "run");
        var round = Json(new
        {
            split = "rl", batchSize = plan.BatchSize, thresholds = plan.Thresholds ?? new FilterThresholds(),
            training = new { dpo = plan.Dpo, evalSplit = "test", evalItems = plan.TestItems },
        });
        var start = new StartRun(runId, $"demo-{plan.Name}", plan.Dataset, sftCheckpoint, baseCheckpoint, 1, plan.RlItems, round);
        await CliHost.PublishAsync(start, ct);
        var followed = await RunCommand.FollowAsync(runId, plan.TimeoutSeconds, ct);
        var iterationId = WorkflowIds.Iteration(runId, 1);
        // A failed iteration (e.g. a policy whose boxes never lead to a right answer leaves the filter
        // nothing to keep) still gets its results, statistics and report; the exit code says it failed.
        if (followed == 2) throw new DemoStepException($"the iteration did not end in {plan.TimeoutSeconds} s: visrl stats {iterationId}");

        Step(clock, "results");
        var results = new List<ResultRow>
        {
            (await WaitForEvaluationAsync(database, baseEval.EvaluationId, ct)) with { Label = "Base (no CoT)", Checkpoint = baseCheckpoint },
            (await WaitForEvaluationAsync(database, sftEval.EvaluationId, ct)) with { Label = "SFT", Checkpoint = sftCheckpoint },
        };
        RunReportData run;
        IReadOnlyList<StepComparison> steps;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
        {
            run = await RunReport.CollectAsync(db, runId, ct);
            results.AddRange(run.Results.Select((r, i) => r with { Label = i == 0 ? "SFT+RL1" : "SFT+RL1+RL2" }));
            steps = await StepComparisons.CollectAsync(db, results, ct);
        }
        var table = new Table().Border(TableBorder.Rounded).Title("held-out test split")
            .AddColumns("model", "answer accuracy", "detection accuracy (IoU > 0.5)", "items");
        foreach (var r in results)
            table.AddRow(Markup.Escape(r.Label), $"{r.AnswerAccuracy:P1}", r.DetectionAccuracy is { } d ? $"{d:P1}" : "-", $"{r.Items}");
        AnsiConsole.Write(table);
        StepComparisons.Write(AnsiConsole.Console, steps);
        await StatsCommand.RunAsync(iterationId.ToString(), ct);
        foreach (var line in run.Status) AnsiConsole.MarkupLine(Markup.Escape(line));

        var jobs = new List<JobCurves> { new("M_org", baseJob, ["vision/loss", "base-reading/loss", "base/loss"]), new("SFT", sftJob, ["sft/loss"]) };
        jobs.AddRange(run.Jobs);
        var file = await ReportCommand.WriteAsync(stores.Datasets, database, $"VisRL.Workflow demo ({plan.Name})", results, steps, jobs, run with { ConfigJson = planJson },
            outputFolder, $"demo/{plan.Name}/{planId:N}/report.html", ct);
        Step(clock, $"report: {file} (and the {stores.Datasets.ExportsContainer} container); the stack and services keep running: visrl stack down stops them");
        return followed;
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, JsonSerializerOptions.Web);

    private static void Step(Stopwatch clock, string text) =>
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape($"[{clock.Elapsed:mm\\:ss}] {text}")}[/]");

    private static void Check(int exitCode, string message)
    {
        if (exitCode != 0) throw new DemoStepException($"{message} (exit {exitCode})");
    }

    /// <summary>Publishes the stage and follows its job row until its checkpoint is stored (or the job failed).</summary>
    private static async Task<string> TrainAsync(CliStores stores, TrainStage stage, CancellationToken ct)
    {
        var stageName = TrainStageRunner.StageName(stage.Stage);
        if (await stores.Checkpoints.LatestOfJobAsync(stage.JobId, stageName, ct) is { } done)
        {
            AnsiConsole.MarkupLine(Markup.Escape($"  {stageName}: already trained ({done.ContentHash[..12]})"));
            return done.ContentHash;
        }
        await CliHost.PublishAsync(stage, ct);
        var database = CliSettings.Load().GetVisRLSettings<DatabaseOptions>();
        string? hash = null;
        await AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape($"{stageName}: waiting for the trainer"), maxValue: 1);
                while (hash is null)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), ct);
                    await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
                    var job = await db.TrainingJobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == stage.JobId, ct);
                    if (job is null) continue;
                    if (job.Status == "failed") throw new DemoStepException($"{stageName} failed: {job.FailureReason}");
                    task.MaxValue = Math.Max(1, job.PlannedSteps);
                    task.Value = job.CompletedSteps;
                    var loss = await db.TrainingMetrics.AsNoTracking().Where(m => m.TrainingJobId == job.Id && m.Name.EndsWith("loss"))
                        .OrderByDescending(m => m.Step).Select(m => (double?)m.Value).FirstOrDefaultAsync(ct);
                    task.Description = Markup.Escape($"{stageName}: step {job.CompletedSteps}/{job.PlannedSteps}{(loss is { } l ? $" loss {l:F3}" : "")}");
                    hash = (await stores.Checkpoints.LatestOfJobAsync(stage.JobId, stageName, ct))?.ContentHash;
                }
                task.Value = task.MaxValue;
            });
        return hash!;
    }

    private static async Task<ResultRow> WaitForEvaluationAsync(DatabaseOptions database, Guid evaluationId, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(10))
        {
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
                if (await RunReport.EvaluationAsync(db, evaluationId, ct) is { } row) return row;
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
        throw new DemoStepException($"evaluation {evaluationId} did not finish in 10 minutes: see the trainer's log (visrl stack services)");
    }
}

/// <summary>A demo step that could not be done; the message says which and why.</summary>
internal sealed class DemoStepException(string message) : Exception(message);
