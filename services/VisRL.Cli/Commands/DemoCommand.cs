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
using VisRL.Torch;
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
        var seeds = new Option<int>("--seeds") { DefaultValueFactory = _ => 1, Description = "Train the SFT policy and run its iteration this many times, each with its seeds moved by one (from the same M_org), and print the mean and range of every row and step: one seed's step can be as large as the seed's own effect. About 6½ minutes more per seed on 2 cores." };
        seeds.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--seeds must be ≥ 1"); });
        var planFile = new Option<FileInfo?>("--plan") { Description = "A demo plan as JSON (name, dataset, seed, split sizes, samplers, batchSize, training {…}, dpo {…}, timeoutSeconds) instead of the built-in one." };
        var command = new Command("demo", "Run the whole system end to end: stack, services, data, M_org, SFT, one self-evolution iteration with DPO, evaluation, report.") { full, output, planFile, seeds };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var plan = parse.GetValue(planFile) is { } file ? DemoPlan.Load(file.FullName) : parse.GetValue(full) ? DemoPlan.Full : DemoPlan.Quick;
                return await RunAsync(plan, parse.GetValue(seeds), parse.GetValue(output) ?? Repository.PathOf("artifacts", "demo"), ct);
            }
            catch (Exception e) when (e is DemoStepException or ArgumentException or JsonException or KeyNotFoundException or InvalidOperationException or IOException)
            {
                AnsiConsole.MarkupLine($"[red]demo failed:[/] {Markup.Escape(e.Message)}");
                return 1;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(DemoPlan plan, int seedCount, string outputFolder, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var planJson = JsonSerializer.Serialize(plan, JsonSerializerOptions.Web);
        var planId = DerivedIds.For(Guid.Empty, planJson); // same plan → same jobs, evaluations and run
        Step(clock, $"plan {plan.Name} ({planId.ToString()[..8]})");
        if (TorchRuntime.OpenBlasCoreTypeWarning is { } blas)
            AnsiConsole.MarkupLine($"[yellow]note:[/] {Markup.Escape(blas)}: the CLI and the services follow it (visrl doctor)");
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
        var baseEval = new Evaluate(DerivedIds.For(planId, "eval/base"), planId, null, baseCheckpoint, plan.Dataset, "test", false, plan.TestItems);
        var arms = new List<SeedArm>();
        for (int seed = 0; seed < seedCount; seed++)
            arms.Add(await TrainAndIterateAsync(stores, database, plan, planId, seed, seedCount, baseCheckpoint, seed == 0 ? [baseEval] : [], clock, ct));

        Step(clock, "results");
        var first = arms[0];
        var baseRow = (await WaitForEvaluationAsync(database, baseEval.EvaluationId, ct)) with { Label = "Base (no CoT)", Checkpoint = baseCheckpoint };
        var perSeed = new List<IReadOnlyList<ResultRow>>();
        var runs = new List<RunReportData>();
        IReadOnlyList<StepComparison> steps;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
        {
            foreach (var arm in arms)
            {
                var armRun = await RunReport.CollectAsync(db, arm.RunId, ct);
                var sftRow = (await WaitForEvaluationAsync(database, arm.SftEvaluationId, ct)) with { Label = "SFT", Checkpoint = arm.SftCheckpoint };
                perSeed.Add([sftRow, .. armRun.Results.Select((r, i) => r with { Label = i == 0 ? "SFT+RL1" : "SFT+RL1+RL2" })]);
                runs.Add(armRun);
            }
            steps = await StepComparisons.CollectAsync(db, perSeed[0], ct);
        }
        var run = runs[0];
        var results = new List<ResultRow> { baseRow };
        results.AddRange(perSeed[0]);
        var table = new Table().Border(TableBorder.Rounded).Title(seedCount > 1 ? "held-out test split, seed 0" : "held-out test split")
            .AddColumns("model", "answer accuracy", "detection accuracy (IoU > 0.5)", "items");
        foreach (var r in results)
            table.AddRow(Markup.Escape(r.Label), $"{r.AnswerAccuracy:P1}", r.DetectionAccuracy is { } d ? $"{d:P1}" : "-", $"{r.Items}");
        AnsiConsole.Write(table);
        StepComparisons.Write(AnsiConsole.Console, steps);
        await StatsCommand.RunAsync(WorkflowIds.Iteration(first.RunId, 1).ToString(), json: false, ct);
        foreach (var line in run.Status) AnsiConsole.MarkupLine(Markup.Escape(line));
        string? seedSummaryHtml = null;
        if (seedCount > 1)
        {
            // A seed whose iteration failed has no RL rows to average; it is named, not averaged.
            var complete = Enumerable.Range(0, seedCount).Where(i => arms[i].Followed == 0).ToList();
            foreach (var i in Enumerable.Range(0, seedCount).Except(complete))
                AnsiConsole.MarkupLine(Markup.Escape($"seed {i} left out of the summary: its iteration failed ({string.Join("; ", runs[i].Status)})"));
            if (complete.Count > 0)
            {
                var (seedRows, seedSteps) = SeedSummary.Of([.. complete.Select(i => perSeed[i])]);
                SeedSummary.Write(AnsiConsole.Console, seedRows, seedSteps);
                seedSummaryHtml = SeedSummary.Html(seedRows, seedSteps);
            }
        }

        var jobs = new List<JobCurves> { new("M_org", baseJob, ["vision/loss", "base-reading/loss", "base/loss"]), new("SFT", first.SftJob, ["sft/loss"]) };
        jobs.AddRange(run.Jobs);
        var file = await ReportCommand.WriteAsync(stores.Datasets, database, $"VisRL.Workflow demo ({plan.Name})", results, steps, jobs, run with { ConfigJson = planJson },
            seedSummaryHtml, outputFolder, $"demo/{plan.Name}/{planId:N}/report.html", ct);
        Step(clock, $"report: {file} (and the {stores.Datasets.ExportsContainer} container); the stack and services keep running: visrl stack down stops them");
        return arms.Max(a => a.Followed);
    }

    /// <summary>What one seed's SFT policy and iteration left: the ids its results are read from, and how the run ended.</summary>
    private sealed record SeedArm(Guid SftJob, string SftCheckpoint, Guid SftEvaluationId, Guid RunId, int Followed);

    /// <summary>
    /// One seed's SFT policy (from the shared M_org), its evaluation and its self-evolution iteration
    /// through the services. Seed 0's ids are the plan's own, so a one-seed demo reuses what earlier
    /// demos of the plan trained; seed k's are the plan's with "seed k/" in front.
    /// </summary>
    private static async Task<SeedArm> TrainAndIterateAsync(CliStores stores, DatabaseOptions database, DemoPlan plan, Guid planId, int seed, int seedCount, string baseCheckpoint,
        IReadOnlyList<Evaluate> alsoEvaluate, Stopwatch clock, CancellationToken ct)
    {
        string Id(string name) => seed == 0 ? name : $"seed {seed}/{name}";
        string ForSeed(string text) => seedCount > 1 ? $"{text} (seed {seed})" : text;
        var (training, sampling, dpo) = plan.Replica(seed);

        Step(clock, ForSeed("SFT warm-up (two-turn, with boxes) on the Trainer"));
        var sftJob = DerivedIds.For(planId, Id("sft"));
        var sftCheckpoint = await TrainAsync(stores, new TrainStage(sftJob, planId, null, TrainingStage.Sft, baseCheckpoint, null,
            Json(new SupervisedStageSettings(plan.Dataset, "sft", null, training))), ct);
        Step(clock, ForSeed(alsoEvaluate.Count > 0 ? "evaluating Base (no CoT) and SFT (CoT) on the Trainer" : "evaluating SFT (CoT) on the Trainer"));
        var sftEval = new Evaluate(DerivedIds.For(planId, Id("eval/sft")), planId, null, sftCheckpoint, plan.Dataset, "test", true, plan.TestItems);
        foreach (var evaluation in alsoEvaluate) await CliHost.PublishAsync(evaluation, ct);
        await CliHost.PublishAsync(sftEval, ct);

        Step(clock, ForSeed("self-evolution iteration through the services"));
        var runId = DerivedIds.For(planId, Id("run"));
        var round = Json(new
        {
            split = "rl", batchSize = plan.BatchSize, sampling, thresholds = plan.Thresholds ?? new FilterThresholds(),
            training = new { dpo, evalSplit = "test", evalItems = plan.TestItems },
        });
        VisRL.Platform.Persistence.Entities.Run? earlier;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
            earlier = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct);
        if (earlier?.Status == "failed") await RunCommand.ResumeAsync(database, earlier, ct); // a demo run again takes up where its iteration stopped
        else await CliHost.PublishAsync(new StartRun(runId, seed == 0 ? $"demo-{plan.Name}" : $"demo-{plan.Name}-seed{seed}", plan.Dataset, sftCheckpoint, baseCheckpoint, 1, plan.RlItems, round), ct);
        var followed = await RunCommand.FollowAsync(runId, plan.TimeoutSeconds, ct);
        // A failed iteration (e.g. a policy whose boxes never lead to a right answer leaves the filter
        // nothing to keep) still gets its results, statistics and report; the exit code says it failed.
        if (followed == 2) throw new DemoStepException($"the iteration did not end in {plan.TimeoutSeconds} s: visrl stats {WorkflowIds.Iteration(runId, 1)}");
        return new SeedArm(sftJob, sftCheckpoint, sftEval.EvaluationId, runId, followed);
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
                var waiting = Stopwatch.StartNew();
                var watch = new TrainerWatch(stage.JobId, stageName, CliSettings.LocalReplicas(), () => waiting.Elapsed);
                while (hash is null)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), ct);
                    await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
                    var job = await db.TrainingJobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == stage.JobId, ct);
                    if (watch.Problem(jobStarted: job is not null) is { } problem) throw new DemoStepException(problem);
                    if (job is null) continue;
                    if (job.Status == "failed") throw new DemoStepException($"{stageName} failed: {job.FailureReason}");
                    task.MaxValue = Math.Max(1, job.PlannedSteps);
                    task.Value = job.CompletedSteps;
                    var loss = await db.TrainingMetrics.AsNoTracking().Where(m => m.TrainingJobId == job.Id && m.Name.EndsWith("loss"))
                        .OrderByDescending(m => m.Step).Select(m => (double?)m.Value).FirstOrDefaultAsync(ct);
                    task.Description = Markup.Escape(job.Status == "waiting" ? $"{stageName}: waiting for {job.FailureReason}" // an outage the Trainer waits out
                        : $"{stageName}: step {job.CompletedSteps}/{job.PlannedSteps}{(loss is { } l ? $" loss {l:F3}" : "")}");
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
