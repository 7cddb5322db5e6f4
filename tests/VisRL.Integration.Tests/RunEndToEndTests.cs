using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Data.Synthetic;
using VisRL.DataGeneration;
using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Identity;
using VisRL.Platform.Persistence;
using VisRL.Platform.Training;
using VisRL.Training;

namespace VisRL.Integration.Tests;

/// <summary>
/// A whole run (StartRun → iteration 1: sample → score → filter → DPO stage 1 → stage 2 → evaluate →
/// iteration 2 from the new policy) with every service a separate process on the real test stack,
/// and the Trainer SIGKILLed in the middle of stage 1.
/// </summary>
[Collection(StackCollection.Name)]
public class RunEndToEndTests(TestStack stack) : IAsyncLifetime
{

    private static readonly SamplingSettings Sampling = new(Attempts: 2);

    /// <summary>The queues a run goes through, each with the consumer a test waits for.</summary>
    private static readonly Dictionary<string, int> RunQueues = new()
    {
        ["sampler-sample-batch"] = 1, ["critic-score-batch"] = 1, ["filter-build-pairs"] = 1, ["trainer-train-stage"] = 1, ["trainer-evaluate"] = 1,
        ["orchestrator-start-run"] = 1, ["orchestrator-iteration-completed"] = 1,
    };
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), $"visrl-run-{Guid.NewGuid():N}");
    private DatabaseOptions _database = null!;
    private ServiceFleet _fleet = null!;

    public async Task InitializeAsync()
    {
        _database = await TestStack.CreateEmptyDatabaseAsync();
        _fleet = new ServiceFleet(stack, _database, $"run{Guid.NewGuid().ToString("N")[..8]}-", _scratch);
        Directory.CreateDirectory(_scratch);
    }

    public Task DisposeAsync()
    {
        _fleet.Dispose();
        try { if (Directory.Exists(_scratch)) Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ARunTrainsBothDpoStagesEvaluatesAndChainsIterations_EvenWhenTheTrainerIsKilledMidStage()
    {
        await _fleet.StartOrchestratorAsync();
        var (dataset, policy) = await SeedAsync(rlItems: 12, testItems: 6);
        foreach (var service in new[] { "sampler", "critic", "filter" }) _fleet.Start(service);
        var trainer = _fleet.Start("trainer");
        await _fleet.WaitForConsumersAsync(RunQueues);

        // `visrl run start` as a process: it publishes StartRun and follows the run to its end.
        var config = Path.Combine(_scratch, "run.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            batchSize = 4, sampling = Sampling,
            thresholds = new { maxBox = 0.0, minBox = 1.0 }, // any s_b: the pair rule runs on s_r alone
            training = new { dpo = new DpoSettings(Epochs: 40, BatchSize: 4, LearningRate: 1e-3, CheckpointEvery: 5), evalItems = 6 },
        }, JsonSerializerOptions.Web));
        using var cli = ChildProcess.Start(Cli("run", "start", "--dataset", dataset, "--policy", policy[..12], "--judge", policy[..12],
            "--iterations", "2", "--config", config, "--name", "run-test", "--timeout", "600"));
        var runId = Guid.Empty;
        await ServiceFleet.WaitUntilAsync(async () =>
        {
            Assert.False(cli.Process.HasExited && runId == Guid.Empty, $"visrl run start exited:\n{cli.Output}");
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            runId = await db.Runs.AsNoTracking().Select(r => r.Id).SingleOrDefaultAsync();
            return runId != Guid.Empty;
        }, TimeSpan.FromSeconds(60), () => $"no run was recorded\n{cli.Output}");

        // Kill the Trainer right after stage 1 stored its first resumable checkpoint.
        var first = WorkflowIds.Iteration(runId, 1);
        var boxJob = WorkflowIds.TrainingJob(first, TrainingStage.DpoBox);
        var storage = DatasetStorage.Create(_database, stack.Blobs);
        var checkpoints = new CheckpointStore(new VisRLDbContextFactory(_database), storage.Blobs, stack.Blobs.CheckpointsContainer);
        await ServiceFleet.WaitUntilAsync(async () =>
        {
            _fleet.AssertAlive();
            await FailOnFailedIterationAsync(runId);
            return await checkpoints.LatestOfJobAsync(boxJob, "dpo-box-resume") is not null;
        }, TimeSpan.FromSeconds(180), () => $"stage 1 stored no resumable checkpoint\n{_fleet.Output}");
        await _fleet.KillAsync(trainer);
        int plannedSteps, stepsAtKill;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
        {
            var job = await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == boxJob);
            (plannedSteps, stepsAtKill) = (job.PlannedSteps, job.CompletedSteps);
            Assert.True(stepsAtKill < plannedSteps && job.Status == "running", $"the kill came after stage 1 ended ({stepsAtKill}/{plannedSteps}); the test proves nothing");
        }
        // Another terminal follows the same run, and stops following when told; the run goes on.
        var (code, shown) = await ChildProcess.RunAsync(Cli("run", "show", "run-test", "--follow", "--timeout", "1"), TimeSpan.FromSeconds(60));
        Assert.True(code == 2, shown);
        shown = ChildProcess.Flattened(shown);
        Assert.Contains($"dpo-box: running, {stepsAtKill}/{plannedSteps} steps", shown);
        Assert.Contains($"stopped following after 1 s; the run is running (`visrl run show {runId} --follow` follows it again)", shown);
        _fleet.Start("trainer"); // the broker redelivers the unacknowledged TrainStage to it

        await ServiceFleet.WaitUntilAsync(async () =>
        {
            _fleet.AssertAlive();
            await FailOnFailedIterationAsync(runId, allowSecond: true);
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            return await db.Runs.AsNoTracking().AnyAsync(r => r.Id == runId && r.Status != "running");
        }, TimeSpan.FromSeconds(420), () => $"the run did not end\n{_fleet.Output}");

        await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
        {
            var iterations = await db.Iterations.AsNoTracking().Where(i => i.RunId == runId).OrderBy(i => i.Number).ToListAsync();
            var one = iterations[0];
            Assert.Equal("Completed", one.State);
            Assert.NotNull(one.PairSetId);
            Assert.True(await db.Pairs.CountAsync(p => p.PairSetId == one.PairSetId) > 0);

            // Stage 1 resumed from a checkpoint after the kill and ended with exactly the planned optimizer steps.
            var boxJobRow = await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == boxJob);
            Assert.Equal(("completed", plannedSteps), (boxJobRow.Status, boxJobRow.CompletedSteps));
            var resumedFrom = await db.TrainingMetrics.AsNoTracking().SingleAsync(m => m.TrainingJobId == boxJob && m.Name == "resumed_from_step");
            Assert.InRange(resumedFrom.Value, 1, plannedSteps - 1);
            // TRL-style metrics for every optimizer step, each once, the steps replayed after the kill included.
            Assert.Equal(Enumerable.Range(1, plannedSteps), await db.TrainingMetrics.AsNoTracking()
                .Where(m => m.TrainingJobId == boxJob && m.Name == "rewards/margins").OrderBy(m => m.Step).Select(m => m.Step).ToListAsync());
            var boxCheckpoint = await db.Checkpoints.AsNoTracking().SingleAsync(c => c.ContentHash == one.BoxCheckpoint);
            Assert.Equal(("dpo-box", plannedSteps, boxJob), (boxCheckpoint.Stage, boxCheckpoint.Step, boxCheckpoint.TrainingJobId!.Value));
            var start = await db.Checkpoints.AsNoTracking().SingleAsync(c => c.ContentHash == policy);
            Assert.Equal(start.Id, boxCheckpoint.ParentId);

            // Each job's first start stored its precomputed reference once (a second store would break the unique
            // key and fail the job): the box terms of every pair, and in stage 2 the answer terms too. Stage 1's
            // are the start policy's log-probs, which its resumed half read back rather than computed again.
            var pinned = (await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == boxJob)).PairIds;
            var (pairIds, pairs, _) = await PreferencePairs.LoadAsync(storage, one.PairSetId!.Value, null, CancellationToken.None);
            Assert.Equal(pairIds, pinned); // the resumed half trained on the pairs the first start pinned
            var terms = await db.ReferenceLogProbs.AsNoTracking().GroupBy(r => new { r.TrainingJobId, r.Term })
                .Select(g => new { g.Key.TrainingJobId, g.Key.Term, Count = g.Count() }).ToListAsync();
            Assert.Equal([("box/chosen", pairs.Count), ("box/rejected", pairs.Count)],
                terms.Where(x => x.TrainingJobId == boxJob).OrderBy(x => x.Term).Select(x => (x.Term, x.Count)));
            var answerTerms = terms.Where(x => x.TrainingJobId == WorkflowIds.TrainingJob(first, TrainingStage.DpoBoxAnswer)).ToDictionary(x => x.Term, x => x.Count);
            Assert.Equal((pairs.Count, pairs.Count), (answerTerms["box/chosen"], answerTerms["box/rejected"]));
            Assert.InRange(answerTerms["answer/chosen"], 1, pairs.Count);
            Assert.Equal(answerTerms["answer/chosen"], answerTerms["answer/rejected"]);
            var stored = await new TrainingJournal(new VisRLDbContextFactory(_database)).LoadReferenceAsync(boxJob, pairIds);
            using (var startPolicy = ModelCheckpoint.Load(await checkpoints.FetchAsync(await checkpoints.ResolveAsync(policy), Path.Combine(_scratch, "start"))))
            {
                var expected = new PreferenceObjective(startPolicy, pairs, new DpoConfig()).ReferenceLogProbs!;
                foreach (var term in new[] { "box/chosen", "box/rejected" })
                    Assert.All(expected[term].Zip(stored![term]), x => Assert.Equal(x.First, x.Second, 3));
            }

            // Stage 2 started from stage 1's checkpoint; both recorded TRL-style metrics.
            var answerJob = WorkflowIds.TrainingJob(first, TrainingStage.DpoBoxAnswer);
            var output = await db.Checkpoints.AsNoTracking().SingleAsync(c => c.ContentHash == one.OutputCheckpoint);
            Assert.Equal(("dpo-box-answer", boxCheckpoint.Id), (output.Stage, output.ParentId!.Value));
            var names = await db.TrainingMetrics.AsNoTracking().Where(m => m.TrainingJobId == boxJob || m.TrainingJobId == answerJob)
                .Select(m => new { m.TrainingJobId, m.Name }).Distinct().ToListAsync();
            foreach (var name in new[] { "loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins" })
                Assert.Equal(2, names.Count(n => n.Name == name));
            Assert.Contains(names, n => n.TrainingJobId == answerJob && n.Name == "answer/rewards/margins");

            // Both new checkpoints were evaluated on the test split.
            foreach (var stage in new[] { TrainingStage.DpoBox, TrainingStage.DpoBoxAnswer })
            {
                var evaluation = await db.Evaluations.AsNoTracking().SingleAsync(e => e.EvaluationRunId == WorkflowIds.Evaluation(first, stage) && e.Family == "all");
                Assert.Equal(("test", "cot", 6), (evaluation.Split, evaluation.Mode, evaluation.ItemCount));
                Assert.NotNull(evaluation.DetectionAccuracy);
            }

            // Iteration 2 sampled from iteration 1's policy; the run ended as its last iteration did.
            Assert.Equal(2, iterations.Count);
            Assert.Equal(one.OutputCheckpoint, iterations[1].PolicyCheckpoint);
            var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
            Assert.Equal(iterations[1].State == "Completed" ? "completed" : "failed", run.Status);
            Assert.True(iterations[1].State is "Completed" or "Failed", iterations[1].State);

            // The CLI followed the run to the same end.
            await cli.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(cli.Process.ExitCode == (run.Status == "completed" ? 0 : 1), cli.Output);
            Assert.Contains(run.Status == "completed" ? "completed in" : "run failed:", cli.Output);
        }

        // `visrl report`: the run's HTML report, with its results, statistics, curves and gallery.
        var reports = Path.Combine(_scratch, "report");
        (code, var reportOutput) = await ChildProcess.RunAsync(Cli("report", "--run", runId.ToString(), "--out", reports), TimeSpan.FromSeconds(120));
        Assert.True(code == 0, reportOutput);
        var html = await File.ReadAllTextAsync(Path.Combine(reports, "report.html"));
        foreach (var part in new[] { "Iter1 stage 1 (+RL1)", "Iter1 stage 2 (+RL1+RL2)", "round_counts", "pair_box_quadrants", "<polyline", "data:image/png;base64," })
            Assert.Contains(part, html);
        // Where each DPO stage that ran trained, from the jobs' recorded machine.
        var machine = $"{System.Net.WebUtility.HtmlEncode(TrainingMachine.Current(null).Cpu)} (";
        Assert.Contains($"Iter1 DPO stage 2</td><td style=\"text-align:left\">{machine}", html);
        Assert.DoesNotContain("not recorded", html);
        // Stage 2 against stage 1 on the same six test items, from the stored per-item outcomes.
        string answerChange;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
        {
            async Task<int> RightAsync(TrainingStage stage) =>
                await db.EvaluationItems.CountAsync(i => i.EvaluationRunId == WorkflowIds.Evaluation(first, stage) && i.AnswerCorrect);
            answerChange = (100.0 * (await RightAsync(TrainingStage.DpoBoxAnswer) - await RightAsync(TrainingStage.DpoBox)) / 6)
                .ToString("+0.0;-0.0;0.0", System.Globalization.CultureInfo.InvariantCulture);
        }
        Assert.Contains($"Iter1 stage 1 (+RL1) → Iter1 stage 2 (+RL1+RL2)</td><td>{answerChange} [", System.Net.WebUtility.HtmlDecode(html));

        // An item whose image was damaged since costs its gallery card, not the report.
        VisRL.Platform.Persistence.Entities.Item damaged;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            damaged = await db.Items.AsNoTracking().SingleAsync(i => i.Id == db.Pairs.OrderBy(p => p.ItemId).Select(p => p.ItemId).First());
        await storage.Blobs.PutAsync(storage.ImagesContainer, damaged.ImageBlobKey, "not a png"u8.ToArray(), "image/png");
        var (againCode, againOutput) = await ChildProcess.RunAsync(Cli("report", "--run", runId.ToString(), "--out", reports), TimeSpan.FromSeconds(120));
        Assert.True(againCode == 0, againOutput);
        Assert.Contains($"item {damaged.Id}: no image ({damaged.ImageBlobKey}", System.Net.WebUtility.HtmlDecode(await File.ReadAllTextAsync(Path.Combine(reports, "report.html"))));

        var (missingCode, missing) = await ChildProcess.RunAsync(Cli("report", "--run", Guid.NewGuid().ToString()), TimeSpan.FromSeconds(60));
        Assert.Equal(1, missingCode);
        Assert.Contains("does not exist", missing);
    }

    [Fact]
    public async Task VisrlRunRetryTakesAFailedRunUpWhereItStopped_OnceTheCauseIsMended()
    {
        await _fleet.StartOrchestratorAsync();
        var (dataset, policy) = await SeedAsync(rlItems: 8, testItems: 4);
        foreach (var service in new[] { "sampler", "critic", "filter", "trainer" }) _fleet.Start(service);
        await _fleet.WaitForConsumersAsync(RunQueues);
        // The run evaluates on a dataset nobody has made yet: stage 1's evaluation fails, and the run with it.
        var evalDataset = $"later-{Guid.NewGuid():N}"[..16];
        var config = Path.Combine(_scratch, "run.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            batchSize = 4, sampling = Sampling, thresholds = new { maxBox = 0.0, minBox = 1.0 },
            training = new { dpo = new DpoSettings(Epochs: 4, BatchSize: 4, LearningRate: 1e-3), evalDataset, evalItems = 4 },
        }, JsonSerializerOptions.Web));
        var (code, output) = await ChildProcess.RunAsync(Cli("run", "start", "--dataset", dataset, "--policy", policy[..12], "--judge", policy[..12],
            "--config", config, "--name", "retry-test", "--timeout", "300"), TimeSpan.FromSeconds(330));
        Assert.True(code == 1, $"{output}\n{_fleet.Output}");
        Assert.Contains($"dataset '{evalDataset}' does not exist", ChildProcess.Flattened(output));

        (code, output) = await ChildProcess.RunAsync(Cli("run", "retry", "no-such-run"), TimeSpan.FromSeconds(60));
        Assert.Equal(1, code);
        Assert.Contains("error: no run is named 'no-such-run'", output);

        // `run list` and `run show` say where it stopped and why; following a failed run ends at once with exit 1.
        (code, output) = await ChildProcess.RunAsync(Cli("run", "list"), TimeSpan.FromSeconds(60));
        Assert.True(code == 0, output);
        Assert.Matches(@"retry-test\s+[0-9a-f-]{36}\s+failed\s+0/1\s+1: Failed", output);
        (code, output) = await ChildProcess.RunAsync(Cli("run", "show", "retry-test", "--follow"), TimeSpan.FromSeconds(60));
        Assert.True(code == 1, output);
        var shown = ChildProcess.Flattened(output);
        Assert.Contains("run retry-test (", shown);
        Assert.Contains("failed, 0 of 1 iteration(s) completed", shown);
        Assert.Matches($@"iteration 1 \([0-9a-f-]{{36}}\): Failed, 8 items in \d+ batches, \d+ pairs: evaluation of .*dataset '{evalDataset}' does not exist", shown);
        Assert.Matches(@"dpo-box: completed, (\d+)/\1 steps", shown);
        Assert.Contains("run failed:", shown);
        // The same for scripts: --json, and with --follow the exit code of the end it waited for.
        (code, output) = await ChildProcess.RunAsync(Cli("run", "list", "--json"), TimeSpan.FromSeconds(60));
        Assert.True(code == 0, output);
        var listed = Assert.Single(JsonNode.Parse(output)!.AsArray(), r => (string?)r!["name"] == "retry-test")!;
        Assert.Equal(("failed", 0, 1, "Failed"), ((string?)listed["status"], (int)listed["completedIterations"]!, (int)listed["plannedIterations"]!, (string?)listed["latest"]!["state"]));
        (code, output) = await ChildProcess.RunAsync(Cli("run", "show", "retry-test", "--follow", "--json"), TimeSpan.FromSeconds(60));
        Assert.True(code == 1, output);
        var failedRun = JsonNode.Parse(output)!;
        Assert.Equal("failed", (string?)failedRun["run"]!["status"]);
        Assert.Contains($"dataset '{evalDataset}' does not exist", (string?)failedRun["iterations"]![0]!["failureReason"]);
        Assert.Equal("completed", (string?)failedRun["iterations"]![0]!["trainingJobs"]![0]!["status"]);

        // A retry may not change what the iteration has used (its candidates were sampled at the config's temperature).
        (code, output) = await ChildProcess.RunAsync(Cli("run", "retry", "retry-test", "--set", "sampling.temperature=1"), TimeSpan.FromSeconds(60));
        Assert.True(code == 1, output);
        Assert.Contains("error: iteration 1 was not resumed: sampling.temperature cannot change on a retry", ChildProcess.Flattened(output));

        // Mended by evaluating on a dataset that exists: a setting nothing has used yet.
        var fixedDataset = $"fixed-{Guid.NewGuid():N}"[..16];
        await new SyntheticDatasetWriter(DatasetStorage.Create(_database, stack.Blobs))
            .WriteAsync(fixedDataset, "test", 4, SyntheticSplitSpec.Create(33, sceneSize: 224, minObjects: 4, maxObjects: 6));
        (code, output) = await ChildProcess.RunAsync(Cli("run", "retry", "retry-test", "--set", $"training.evalDataset={fixedDataset}", "--timeout", "300"),
            TimeSpan.FromSeconds(330));
        Assert.True(code == 0, $"{output}\n{_fleet.Output}");
        var flat = ChildProcess.Flattened(output);
        Assert.Contains("run retry-test: iteration 1 failed (evaluation of", flat);
        Assert.Contains("taking it up again", flat);
        // Stage 2 was still training when stage 1's evaluation failed (it goes on to Evaluating), or had ended before.
        Assert.Matches(@"iteration 1 resumed in (TrainingAnswer|Evaluating) \(resume 1\) with training.evalDataset changed", flat);
        Assert.Contains("completed in", flat);

        await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
        {
            var iteration = await db.Iterations.AsNoTracking().SingleAsync();
            Assert.Equal(("Completed", 1, "completed"), (iteration.State, iteration.Resumes, (await db.Runs.AsNoTracking().SingleAsync()).Status));
            // Nothing it had was made again: one sample batch per ordinal, one attempt each; one pair set; each DPO job trained each step once.
            Assert.All(await db.Batches.AsNoTracking().ToListAsync(), b => Assert.Equal(("done", 1), (b.Status, b.Attempts)));
            Assert.Equal(1, await db.PairSets.CountAsync());
            var jobs = await db.TrainingJobs.AsNoTracking().ToListAsync();
            Assert.Equal(2, jobs.Count);
            foreach (var job in jobs)
            {
                Assert.Equal("completed", job.Status);
                Assert.Equal(Enumerable.Range(1, job.PlannedSteps), await db.TrainingMetrics.AsNoTracking()
                    .Where(m => m.TrainingJobId == job.Id && m.Name == "loss").OrderBy(m => m.Step).Select(m => m.Step).ToListAsync());
            }
            // Both checkpoints evaluated, on the dataset the retry named; the run records it for the iterations after.
            var evalId = await db.Datasets.Where(d => d.Name == fixedDataset).Select(d => d.Id).SingleAsync();
            Assert.Equal(fixedDataset, (string?)JsonNode.Parse((await db.Runs.AsNoTracking().SingleAsync()).ConfigJson)!["round"]!["training"]!["evalDataset"]);
            foreach (var stage in new[] { TrainingStage.DpoBox, TrainingStage.DpoBoxAnswer })
            {
                var evaluation = await db.Evaluations.AsNoTracking().SingleAsync(e => e.EvaluationRunId == WorkflowIds.Evaluation(iteration.Id, stage) && e.Family == "all");
                Assert.Equal((evalId, 4), (evaluation.DatasetId, evaluation.ItemCount));
            }
        }

        (code, output) = await ChildProcess.RunAsync(Cli("run", "retry", "retry-test"), TimeSpan.FromSeconds(60));
        Assert.Equal(1, code);
        Assert.Contains("error: run retry-test is completed: none of its iterations failed, so there is nothing to retry", output);

        // Completed, `run show` gives each evaluated checkpoint's numbers as stored.
        (code, output) = await ChildProcess.RunAsync(Cli("run", "show", "retry-test"), TimeSpan.FromSeconds(60));
        Assert.True(code == 0, output);
        shown = ChildProcess.Flattened(output);
        Assert.Contains("completed, 1 of 1 iteration(s) completed", shown);
        Assert.Matches(@"Completed, 8 items in \d+ batches", shown);
        Assert.Contains("resumed 1×", shown);
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
        {
            var iteration = await db.Iterations.AsNoTracking().SingleAsync();
            foreach (var (stage, label) in new[] { (TrainingStage.DpoBox, "Iter1 stage 1 (+RL1)"), (TrainingStage.DpoBoxAnswer, "Iter1 stage 2 (+RL1+RL2)") })
            {
                var e = await db.Evaluations.AsNoTracking().SingleAsync(e => e.EvaluationRunId == WorkflowIds.Evaluation(iteration.Id, stage) && e.Family == "all");
                Assert.Contains(string.Create(CultureInfo.InvariantCulture,
                    $"{label}: {e.AnswerAccuracy:P1} / {e.DetectionAccuracy!.Value:P1} on 4 items, checkpoint {e.Checkpoint[..12]}"), shown);
            }
            (code, output) = await ChildProcess.RunAsync(Cli("run", "show", "retry-test", "--json"), TimeSpan.FromSeconds(60));
            Assert.True(code == 0, output);
            var completed = JsonNode.Parse(output)!;
            Assert.Equal(("completed", 1), ((string?)completed["run"]!["status"], (int)completed["iterations"]![0]!["resumes"]!));
            var results = completed["results"]!.AsArray();
            Assert.Equal(2, results.Count);
            foreach (var result in results)
            {
                var e = await db.Evaluations.AsNoTracking().SingleAsync(e => e.EvaluationRunId == (Guid)result!["evaluationId"]! && e.Family == "all");
                Assert.Equal((e.Checkpoint, e.AnswerAccuracy, e.DetectionAccuracy, e.ItemCount),
                    ((string)result!["checkpoint"]!, (double)result["answerAccuracy"]!, (double?)result["detectionAccuracy"], (int)result["items"]!));
            }
        }
        (code, output) = await ChildProcess.RunAsync(Cli("run", "list", "--limit", "0"), TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, code);
        Assert.Contains("--limit must be ≥ 1", output);
    }

    /// <summary>The CLI as a process against the test stack and this test's database.</summary>
    private System.Diagnostics.ProcessStartInfo Cli(params string[] arguments) =>
        ChildProcess.Dotnet(ChildProcess.ProjectDll("VisRL.Cli", "visrl"), stack.CliEnvironment(_database), arguments);

    private async Task FailOnFailedIterationAsync(Guid runId, bool allowSecond = false)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var failed = await db.Iterations.AsNoTracking().FirstOrDefaultAsync(i => i.RunId == runId && i.State == "Failed" && (!allowSecond || i.Number == 1));
        if (failed is not null) Assert.Fail($"iteration {failed.Number} failed: {failed.FailureReason}\n{_fleet.Output}");
    }

    /// <summary>
    /// A dataset (rl and test splits) and a tiny random policy. The rl items' standard answers are
    /// set to what the policy itself answers for its first own box (sampling is a pure function of the
    /// seeds), so some candidates are right and some wrong: the filter finds pairs without a trained model.
    /// </summary>
    private async Task<(string Dataset, string Policy)> SeedAsync(int rlItems, int testItems)
    {
        var storage = DatasetStorage.Create(_database, stack.Blobs);
        var name = $"run-{Guid.NewGuid():N}"[..20];
        var writer = new SyntheticDatasetWriter(storage);
        await writer.WriteAsync(name, "rl", rlItems, SyntheticSplitSpec.Create(31, sceneSize: 224, minObjects: 4, maxObjects: 6));
        await writer.WriteAsync(name, "test", testItems, SyntheticSplitSpec.Create(32, sceneSize: 224, minObjects: 4, maxObjects: 6));
        var folder = Path.Combine(_scratch, "policy");
        string hash;
        using (var model = VisRLTiny.Create(TinyModel.Config, seed: 11)) hash = ModelCheckpoint.Save(model, folder);
        await new CheckpointStore(new VisRLDbContextFactory(_database), storage.Blobs, stack.Blobs.CheckpointsContainer).PublishAsync(folder, hash, "sft", 0);

        var items = await StoredItems.LoadAsync(storage, name, "rl", null);
        IReadOnlyList<SampledCandidate> candidates;
        using (var policy = ModelCheckpoint.Load(folder))
            candidates = new CandidateSampler(policy).Sample([.. items.Select(i => new SampleItem(i.Row.Id, i.Image, i.Row.Question))], Sampling);
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        foreach (var own in candidates.Where(c => c.Attempt == 0 && c.Kind == CandidateKinds.Own && !string.IsNullOrWhiteSpace(c.Answer)))
            await db.Items.Where(i => i.Id == own.ItemId).ExecuteUpdateAsync(s => s.SetProperty(i => i.StandardAnswer, own.Answer));
        return (name, hash);
    }
}
