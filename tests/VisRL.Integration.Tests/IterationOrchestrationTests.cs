using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Orchestrator;
using VisRL.Orchestrator.Rounds;
using VisRL.Platform.Configuration;
using VisRL.Platform.Hosting;
using VisRL.Platform.Identity;
using VisRL.Platform.Messaging;
using VisRL.Platform.Messaging.Sagas;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Integration.Tests;

/// <summary>
/// The iteration state machine over the real RabbitMQ, with its state in the real PostgreSQL.
/// The Sampler, Critic and Filter are stand-ins here (their services come with their own tests):
/// they answer each command with its event, and fail or drop the batches a test names. The
/// collection's fixture (TestStack) starts the servers; the tests reach them through TestStack's statics.
/// </summary>
[Collection(StackCollection.Name)]
public class IterationOrchestrationTests : IAsyncLifetime
{
    private DatabaseOptions _database = null!;

    /// <summary>What the stand-ins do with one batch: (ordinal, attempt) → behaviour.</summary>
    private static readonly ConcurrentDictionary<(Guid Iteration, int Ordinal, int Attempt), string> Script = new();
    private static readonly ConcurrentBag<IterationFailed> FailedEvents = [];
    /// <summary>How often each (batch, attempt) reached the stand-in Sampler.</summary>
    private static readonly ConcurrentDictionary<(Guid Iteration, Guid Batch, int Attempt), int> SampleCommands = new();

    public sealed class StandInSampler(IDbContextFactory<VisRLDbContext> contexts) : IConsumer<SampleBatch>
    {
        public async Task Consume(ConsumeContext<SampleBatch> context)
        {
            var m = context.Message;
            SampleCommands.AddOrUpdate((m.IterationId, m.BatchId, m.Attempt), 1, (_, n) => n + 1);
            await using (var db = await contexts.CreateDbContextAsync()) await db.MarkBatchStartedAsync(m.BatchId, default); // as the Sampler does
            await (Script.GetValueOrDefault((m.IterationId, m.Ordinal, m.Attempt)) switch
            {
                "fail" => context.Publish(new BatchFailed(m.RunId, m.IterationId, m.BatchId, "sample", m.Attempt, "stand-in failure")),
                "throw" => throw new InvalidOperationException("stand-in crash"), // past the retries: MassTransit publishes Fault<SampleBatch>
                "drop" => Task.CompletedTask, // a worker that died holding the message
                _ => context.Publish(new BatchSampled(m.RunId, m.IterationId, m.BatchId, m.ItemIds.Count * 6, 0)),
            });
        }
    }

    /// <summary>Score batches the stand-in Critic holds until the test lets them go: (iteration, ordinal) → the release.</summary>
    private static readonly ConcurrentDictionary<(Guid Iteration, int Ordinal), TaskCompletionSource> HeldScores = new();

    /// <summary>The key of <see cref="Script"/> for a score batch's attempt ("fail"): ordinals below the filter's and the Trainer's.</summary>
    private static (Guid, int, int) ScoreScript(Guid iterationId, int ordinal, int attempt) => (iterationId, -100 - ordinal, attempt);

    public sealed class StandInCritic : IConsumer<ScoreBatch>
    {
        public async Task Consume(ConsumeContext<ScoreBatch> context)
        {
            var m = context.Message;
            if (HeldScores.TryGetValue((m.IterationId, m.Ordinal), out var release)) await release.Task;
            await context.Publish(Script.GetValueOrDefault(ScoreScript(m.IterationId, m.Ordinal, m.Attempt)) == "fail"
                ? new BatchFailed(m.RunId, m.IterationId, m.BatchId, "score", m.Attempt, "stand-in judge failure")
                : new BatchScored(m.RunId, m.IterationId, m.BatchId, m.ItemIds.Count * 6, 0));
        }
    }

    /// <summary>How often each iteration's BuildPairs reached the stand-in Filter, and each one's thresholds.</summary>
    private static readonly ConcurrentDictionary<Guid, int> FilterCommands = new();
    private static readonly ConcurrentQueue<BuildPairs> BuildPairsCommands = new();

    public sealed class StandInFilter : IConsumer<BuildPairs>
    {
        // (iteration, -1, 0) scripts "no pairs" or "throw".
        public Task Consume(ConsumeContext<BuildPairs> context)
        {
            FilterCommands.AddOrUpdate(context.Message.IterationId, 1, (_, n) => n + 1);
            BuildPairsCommands.Enqueue(context.Message);
            return Script.GetValueOrDefault((context.Message.IterationId, -1, 0)) switch
            {
                "throw" => throw new InvalidOperationException("stand-in filter lost its database"),
                var script => context.Publish(new PairsReady(context.Message.RunId, context.Message.IterationId, Guid.NewGuid(), 20, script == "no pairs" ? 0 : 7)),
            };
        }
    }

    /// <summary>The TrainStage commands that reached the stand-in Trainer, in order.</summary>
    private static readonly ConcurrentQueue<TrainStage> TrainCommands = new();

    /// <summary>
    /// Stage 1 succeeds with a made-up checkpoint (or throws, where (iteration, -2, 0) scripts it); stage 2 fails with a
    /// reason, unless (iteration, -3, 0) scripts "train".
    /// </summary>
    public sealed class StandInTrainer : IConsumer<TrainStage>
    {
        public Task Consume(ConsumeContext<TrainStage> context)
        {
            var m = context.Message;
            TrainCommands.Enqueue(m);
            if (Script.GetValueOrDefault((m.IterationId ?? Guid.Empty, -2, 0)) == "throw")
                throw new InvalidOperationException("stand-in trainer could not publish its outcome");
            return m.Stage == TrainingStage.DpoBox || Script.GetValueOrDefault((m.IterationId ?? Guid.Empty, -3, 0)) == "train"
                ? context.Publish(new CheckpointReady(m.JobId, m.RunId, m.IterationId, m.Stage, new string(m.Stage == TrainingStage.DpoBox ? 'b' : 'a', 64), "b/", 10))
                : context.Publish(new TrainingFailed(m.JobId, m.RunId, m.IterationId, m.Stage, "DpoBoxAnswer: stand-in out of memory"));
        }
    }

    /// <summary>The Evaluate commands that reached the stand-in evaluator, in order.</summary>
    private static readonly ConcurrentQueue<Evaluate> EvaluateCommands = new();

    /// <summary>Stores an evaluation of every checkpoint but stage 2's, which fails unless (iteration, -4, 0) scripts "evaluate".</summary>
    public sealed class StandInEvaluator(IDbContextFactory<VisRLDbContext> contexts) : IConsumer<Evaluate>
    {
        public async Task Consume(ConsumeContext<Evaluate> context)
        {
            var m = context.Message;
            EvaluateCommands.Enqueue(m);
            if (m.Checkpoint != new string('b', 64) && Script.GetValueOrDefault((m.IterationId ?? Guid.Empty, -4, 0)) != "evaluate")
            {
                await context.Publish(new EvaluationFailed(m.EvaluationId, m.RunId, m.IterationId, m.Checkpoint, "stand-in lost the test split"));
                return;
            }
            await using (var db = await contexts.CreateDbContextAsync())
            {
                var dataset = await db.Datasets.SingleAsync(d => d.Name == m.Dataset);
                db.Evaluations.Add(new Evaluation
                {
                    EvaluationRunId = m.EvaluationId, Checkpoint = m.Checkpoint, DatasetId = dataset.Id, Split = m.Split, Mode = "cot", Family = "all",
                    ItemCount = 20, AnswerAccuracy = 0.5, DetectionAccuracy = 0.5, CreatedAt = DateTimeOffset.UtcNow,
                });
                await db.SaveChangesAsync();
            }
            await context.Publish(new EvaluationCompleted(m.EvaluationId, m.RunId, m.IterationId, m.Checkpoint, 20, 0.5, 0.5));
        }
    }

    public sealed class FailureWatcher : IConsumer<IterationFailed>
    {
        public Task Consume(ConsumeContext<IterationFailed> context)
        {
            FailedEvents.Add(context.Message);
            return Task.CompletedTask;
        }
    }

    public async Task InitializeAsync()
    {
        _database = await TestStack.CreateEmptyDatabaseAsync();
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        await db.Database.MigrateAsync();
        var dataset = new Dataset { Id = Guid.NewGuid(), Name = "round-ds", Source = "synthetic", CreatedAt = DateTimeOffset.UtcNow };
        db.Datasets.Add(dataset);
        for (var i = 0; i < 25; i++)
            db.Items.Add(new Item { DatasetId = dataset.Id, Split = "rl", Ordinal = i, ImageBlobKey = $"k/{i}.png", Question = "q?", StandardAnswer = "A" });
        // The rows a round's checkpoints resolve to (the stand-ins never load them).
        db.Checkpoints.Add(new Checkpoint { Id = JudgeCheckpointId, ContentHash = JudgeHash, BlobKey = $"{JudgeHash}/", Stage = "base", CreatedAt = DateTimeOffset.UtcNow });
        db.Checkpoints.Add(new Checkpoint { Id = Guid.NewGuid(), ContentHash = PolicyHash, BlobKey = $"{PolicyHash}/", Stage = "sft", CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
    }

    private const string PolicyHash = "a1a1a1a1" + "00000000000000000000000000000000000000000000000000000001";
    private const string JudgeHash = "c3c3c3c3" + "00000000000000000000000000000000000000000000000000000002";
    private static readonly Guid JudgeCheckpointId = Guid.NewGuid();

    public Task DisposeAsync() => Task.CompletedTask;

    /// <param name="databasePort">Another way to PostgreSQL (a relay the test cuts).</param>
    /// <param name="efRetries">Database:MaxRetryCount (the services' default is 5).</param>
    /// <summary>The relay's period here, shorter than the default 5 s so that a test can tell the setting is used.</summary>
    private const int RelaySeconds = 1;

    private IHost StartHost(int? databasePort = null, int efRetries = 5)
    {
        var database = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        if (databasePort is { } port) database.Port = port;
        // A service name of its own per test run, so no queue is shared with another run.
        var builder = TestStack.ServiceHost($"orch-test-{Guid.NewGuid().ToString()[..8]}", new Dictionary<string, string?>
        {
            ["Messaging:RetryInitialIntervalMs"] = "50",
            ["Messaging:OutboxRelaySeconds"] = RelaySeconds.ToString(),
            ["Database:ConnectionString"] = database.ConnectionString,
            ["Database:MaxRetryCount"] = efRetries.ToString(),
            ["Log:JsonFile"] = LogFile,
        });
        builder.AddVisRLPersistence();
        builder.AddVisRLMessaging(bus =>
        {
            bus.AddIterationOrchestration();
            bus.AddConsumer<StandInSampler>();
            bus.AddConsumer<StandInCritic>();
            bus.AddConsumer<StandInFilter>();
            bus.AddConsumer<StandInTrainer>();
            bus.AddConsumer<StandInEvaluator>();
            bus.AddConsumer<FailureWatcher>();
        });
        return builder.Build();
    }

    /// <summary>Runs <paramref name="test"/> on the bus of a started host (<see cref="StartHost"/>), and stops the host after it, whatever happens.</summary>
    private async Task WithHostAsync(Func<IBus, Task> test, int? databasePort = null, int efRetries = 5)
    {
        using var host = StartHost(databasePort, efRetries);
        await host.StartAsync();
        try
        {
            await test(host.Services.GetRequiredService<IBus>());
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static readonly string LogFile = Path.Combine(Path.GetTempPath(), "visrl-orchestration-tests.log");

    /// <param name="resumes">Wait also until it has been resumed this often (a resumed iteration may fail again).</param>
    private async Task<Iteration> WaitForStateAsync(Guid iterationId, string state, int resumes = 0)
    {
        for (var i = 0; i < 300; i++)
        {
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            var iteration = await db.Iterations.AsNoTracking().SingleOrDefaultAsync(x => x.Id == iterationId);
            if (iteration?.State == state && iteration.Resumes >= resumes) return iteration;
            await Task.Delay(200);
        }
        await using var last = PersistenceExtensions.CreateVisRLDbContext(_database);
        var now = await last.Iterations.AsNoTracking().SingleOrDefaultAsync(x => x.Id == iterationId);
        throw new TimeoutException($"iteration {iterationId} did not reach {state} (resumed {resumes} times); it is {now?.State ?? "absent"}, resumed {now?.Resumes} times ({now?.FailureReason})");
    }

    private static StartIteration Start(Guid iterationId, string dataset, string config) =>
        new(Guid.NewGuid(), iterationId, 1, dataset, PolicyHash, JudgeHash, 20, config);

    [Fact]
    public async Task ARoundFansOutRetriesAFailedBatchAndReachesPairs()
    {
        var iterationId = Guid.NewGuid();
        Script[(iterationId, 1, 1)] = "fail"; // batch 1 fails once, then succeeds
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(iterationId, "round-ds", "{\"batchSize\":6,\"maxBatchAttempts\":2}"));
            var iteration = await WaitForStateAsync(iterationId, "Paired");

            Assert.Equal((20, 7), (iteration.ItemCount, iteration.BatchCount)); // the default taper: 5, 4, 3, 2, 2, 2, 2
            using var config = System.Text.Json.JsonDocument.Parse(iteration.ConfigJson);
            Assert.Equal(6, config.RootElement.GetProperty("batchSize").GetInt32());
            // The defaults are recorded with the round, so it can be reproduced from its row alone.
            Assert.Equal(0.8, config.RootElement.GetProperty("thresholds").GetProperty("maxAnswer").GetDouble());
            Assert.Equal(2.0, config.RootElement.GetProperty("sampling").GetProperty("temperature").GetDouble());
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            var batches = await db.Batches.AsNoTracking().Where(b => b.IterationId == iterationId).ToListAsync();
            Assert.Equal(14, batches.Count);
            Assert.All(batches, b => Assert.Equal("done", b.Status));
            Assert.Equal([5, 4, 3, 2, 2, 2, 2], batches.Where(b => b.Stage == "sample").OrderBy(b => b.Ordinal).Select(b => b.ItemIds.Length));
            var retried = batches.Single(b => b.Stage == "sample" && b.Ordinal == 1);
            Assert.Equal((2, "stand-in failure"), (retried.Attempts, retried.LastError));
            Assert.NotNull(await db.Runs.FindAsync(iteration.RunId));
        });
    }

    [Fact]
    public async Task ABatchOutOfAttemptsIsMarkedFailedAndTheRoundStillEnds()
    {
        var iterationId = Guid.NewGuid();
        Script[(iterationId, 0, 1)] = "fail";
        Script[(iterationId, 0, 2)] = "fail";
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(iterationId, "round-ds", "{\"batchSize\":10,\"batchTaper\":1,\"maxBatchAttempts\":2}"));
            await WaitForStateAsync(iterationId, "Paired");
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            var batches = await db.Batches.AsNoTracking().Where(b => b.IterationId == iterationId).ToListAsync();
            var failed = batches.Single(b => b.Stage == "sample" && b.Ordinal == 0);
            Assert.Equal(("failed", 2, "stand-in failure"), (failed.Status, failed.Attempts, failed.LastError));
            Assert.Equal([1], batches.Where(b => b.Stage == "score").Select(b => b.Ordinal)); // only what was sampled is scored
        });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(600)] // the database's clock ten minutes ahead of the services': before, its workers' start stamps never grew old
    [InlineData(-600)] // ... and behind
    public async Task WhileABatchIsStuckTheSampledOnesAreScoredOnceAndTheStuckOneIsDispatchedAgain(int databaseClockAheadSeconds)
    {
        if (databaseClockAheadSeconds != 0) await TestStack.SkewClockAsync(_database, TimeSpan.FromSeconds(databaseClockAheadSeconds));
        var iterationId = Guid.NewGuid();
        Script[(iterationId, 0, 1)] = "drop"; // batch 0's worker dies holding it, so sampling cannot finish
        await WithHostAsync(async bus =>
        {
            var start = Start(iterationId, "round-ds", "{\"batchSize\":10,\"batchTaper\":1,\"stuckAfterSeconds\":1}");
            await bus.Publish(start);
            // Batch 1 is scored as soon as it is sampled, while the round is still sampling.
            var sampled = await WaitForBatchAsync(iterationId, "sample", 1, "done");
            await WaitForBatchAsync(iterationId, "score", 1, "done");
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
                Assert.Equal("Sampling", (await db.Iterations.AsNoTracking().SingleAsync(i => i.Id == iterationId)).State);

            await bus.Publish(new BatchSampled(start.RunId, iterationId, sampled.Id, 60, 0)); // a redelivery of batch 1's event
            await Task.Delay(1500);
            await bus.Publish(new RedispatchStuckBatches(start.RunId, iterationId)); // what StuckBatchMonitor sends every minute
            await WaitForStateAsync(iterationId, "Paired");
            await using var after = PersistenceExtensions.CreateVisRLDbContext(_database);
            var redispatched = await after.Batches.AsNoTracking().SingleAsync(b => b.IterationId == iterationId && b.Stage == "sample" && b.Ordinal == 0);
            Assert.Equal(("done", 2), (redispatched.Status, redispatched.Attempts));
            Assert.Contains("no answer within 1 s of its start", redispatched.LastError);
            var scoreOrdinals = await after.Batches.AsNoTracking().Where(b => b.IterationId == iterationId && b.Stage == "score")
                .OrderBy(b => b.Ordinal).Select(b => b.Ordinal).ToListAsync();
            Assert.Equal([0, 1], scoreOrdinals);
        });
    }

    [Fact]
    public async Task AWorkerThatThrowsPastItsRetriesHasItsBatchDispatchedAgainAtOnce()
    {
        var iterationId = Guid.NewGuid();
        Script[(iterationId, 0, 1)] = "throw";
        await WithHostAsync(async bus =>
        {
            // No stuck clock helps here (an hour): the Fault<SampleBatch> alone brings the batch back.
            await bus.Publish(Start(iterationId, "round-ds", "{\"batchSize\":10,\"batchTaper\":1,\"stuckAfterSeconds\":3600}"));
            await WaitForStateAsync(iterationId, "Paired");
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            var retried = await db.Batches.AsNoTracking().SingleAsync(b => b.IterationId == iterationId && b.Stage == "sample" && b.Ordinal == 0);
            Assert.Equal(("done", 2), (retried.Status, retried.Attempts));
            Assert.Contains("InvalidOperationException: stand-in crash", retried.LastError);
        });
    }

    [Fact]
    public async Task AQueuedBatchIsNotStuckWhileItsQueueMoves_OnlyOneAWorkerHeldTooLongOrOneTheQueueLeftBehind()
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var now = DateTimeOffset.UtcNow;
        var run = new Run { Id = Guid.NewGuid(), Name = "stuck", Status = "running", CreatedAt = now, UpdatedAt = now };
        var iteration = new Iteration { Id = Guid.NewGuid(), RunId = run.Id, Number = 1, PolicyCheckpoint = "p", JudgeCheckpoint = "j", JudgeId = "j", State = "Sampling", CreatedAt = now, UpdatedAt = now };
        Batch Sample(int ordinal, DateTimeOffset? started) => new()
        {
            Id = Guid.NewGuid(), IterationId = iteration.Id, Stage = "sample", Ordinal = ordinal, ItemIds = [ordinal], Status = "dispatched",
            Attempts = 1, DispatchedAt = now.AddMinutes(-10), StartedAt = started,
        };
        var (held, queued, running) = (Sample(0, now.AddMinutes(-9)), Sample(1, null), Sample(2, now.AddSeconds(-5)));
        db.AddRange(run, iteration, held, queued, running);
        await db.SaveChangesAsync();
        var config = RoundConfig.Parse("{\"stuckAfterSeconds\":60}");

        // All three were dispatched ten minutes ago; batch 2 started 5 s ago, so the queue moves and batch 1 waits its turn.
        var commands = await new RoundLedger(db).RedispatchStuckAsync(iteration, config, default, at: now);
        Assert.Equal([held.Id], commands.Cast<SampleBatch>().Select(c => c.BatchId));
        Assert.Equal((2, (DateTimeOffset?)null), (held.Attempts, held.StartedAt));
        Assert.Contains("no answer within 60 s of its start", held.LastError);
        Assert.Equal((1, null), (queued.Attempts, queued.LastError));

        // Later: batch 2 ran from six to five minutes ago and nothing has moved since, so batch 1's message was lost.
        (running.Status, running.StartedAt, running.CompletedAt) = ("done", now.AddMinutes(-6), now.AddMinutes(-5));
        await db.SaveChangesAsync();
        commands = await new RoundLedger(db).RedispatchStuckAsync(iteration, config, default, at: now);
        Assert.Equal([queued.Id], commands.Cast<SampleBatch>().Select(c => c.BatchId));
        Assert.Contains("not taken from the queue, which has not moved for 60 s", queued.LastError);
    }

    /// <summary>
    /// Quarantined parts moved back while the round scores (MovedBackWork, as the Sampler claims them) become batches of
    /// their own: the round waits for them after its planned batches are done, and scores what they add. A part whose
    /// worker throws past its retries releases its claim at once (its fault names only the batch it was cut from). Once
    /// the round has moved on, a part is refused and leaves no trace in its ledger.
    /// </summary>
    [Fact]
    public async Task PartsMovedBackWhileTheRoundScoresJoinIt_ItWaitsForThemAndScoresThem_AFaultedOneGoesOutAgain_AndOnceItMovedOnItRefusesThem()
    {
        var iterationId = Guid.NewGuid();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HeldScores[(iterationId, 0)] = release;
        await WithHostAsync(async bus =>
        {
            var start = Start(iterationId, "round-ds", "{\"batchSize\":10,\"batchTaper\":1}");
            await bus.Publish(start);
            await WaitForStateAsync(iterationId, "Scoring"); // batch 0's scores are held
            Batch cutFrom;
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
                cutFrom = await db.Batches.AsNoTracking().SingleAsync(b => b.IterationId == iterationId && b.Stage == "sample" && b.Ordinal == 1);
            var item = cutFrom.ItemIds[0];

            async Task<(Batch? Claim, string? Refusal)> ClaimAsync(Guid id)
            {
                await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
                return await MovedBackWork.ClaimAsync(db, iterationId, "sample", id, [item], default);
            }
            // Two parts at once, as two Sampler replicas take them: each gets its own ordinal, after those of either stage.
            Guid[] parts = [Guid.NewGuid(), Guid.NewGuid()];
            var claims = await Task.WhenAll(parts.Select(ClaimAsync));
            Assert.All(claims, c => Assert.Null(c.Refusal));
            Assert.Equal([2, 3], claims.Select(c => c.Claim!.Ordinal).Order());
            var again = await ClaimAsync(parts[0]); // a redelivered part finds its claim
            Assert.Equal(claims.Single(c => c.Claim!.Id == parts[0]).Claim!.Ordinal, again.Claim!.Ordinal);

            release.SetResult(); // batch 0's scores come in: every planned batch is done, the parts are not
            await WaitForBatchAsync(iterationId, "score", 0, "done");
            await Task.Delay(500);
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
                Assert.Equal("Scoring", (await db.Iterations.AsNoTracking().SingleAsync(i => i.Id == iterationId)).State);

            await bus.Publish(new BatchSampled(start.RunId, iterationId, parts[0], 6, 0)); // as the Sampler announces a part
            // The other part's worker throws past its retries: MassTransit's fault carries the part as it was moved back,
            // under the batch it was cut from (sample batch 1, done). Its claim goes out again at once, as a plain batch.
            Script[(iterationId, 1, 1)] = "throw";
            await bus.Publish(new SampleBatch(start.RunId, iterationId, cutFrom.Id, 1, 1, [item], PolicyHash, new SamplingSettings()));
            await WaitForStateAsync(iterationId, "Paired");
            Assert.Equal(1, SampleCommands.GetValueOrDefault((iterationId, parts[1], 2)));
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                var batches = await db.Batches.AsNoTracking().Where(b => b.IterationId == iterationId).ToListAsync();
                var faulted = batches.Single(b => b.Id == parts[1]);
                Assert.Equal(2, faulted.Attempts);
                Assert.Contains("stand-in crash", faulted.LastError);
                Assert.All(batches, b => Assert.Equal("done", b.Status));
                Assert.Equal([0, 1, 2, 3], batches.Where(b => b.Stage == "score").Select(b => b.Ordinal).Order());
                Assert.All(batches.Where(b => b.Ordinal >= 2), b => Assert.Equal([item], b.ItemIds));
            }

            var late = await ClaimAsync(Guid.NewGuid());
            Assert.Null(late.Claim);
            Assert.Contains($"iteration {iterationId} is Paired", late.Refusal);
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
                Assert.Equal(8, await db.Batches.CountAsync(b => b.IterationId == iterationId));
        });
    }

    private async Task<Batch> WaitForBatchAsync(Guid iterationId, string stage, int ordinal, string status)
    {
        for (var i = 0; i < 150; i++)
        {
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            if (await db.Batches.AsNoTracking().SingleOrDefaultAsync(b => b.IterationId == iterationId && b.Stage == stage && b.Ordinal == ordinal) is { } batch
                && batch.Status == status)
                return batch;
            await Task.Delay(100);
        }
        throw new TimeoutException($"{stage} batch {ordinal} of iteration {iterationId} did not become {status}");
    }

    /// <summary>
    /// A message may name its checkpoints by hash prefix or id: the round pins them to their content hashes,
    /// so the batches carry the hash and the judge id is the hash the Critic stores its scores under.
    /// </summary>
    [Fact]
    public async Task CheckpointsNamedByPrefixOrIdArePinnedToTheirContentHashes()
    {
        var iterationId = Guid.NewGuid();
        await WithHostAsync(async bus =>
        {
            var start = Start(iterationId, "round-ds", "{\"batchSize\":10,\"batchTaper\":1}") with
            {
                PolicyCheckpoint = PolicyHash[..8].ToUpperInvariant(), JudgeCheckpoint = JudgeCheckpointId.ToString(),
            };
            await bus.Publish(start);
            var iteration = await WaitForStateAsync(iterationId, "Paired");
            Assert.Equal((PolicyHash, JudgeHash, JudgeHash), (iteration.PolicyCheckpoint, iteration.JudgeCheckpoint, iteration.JudgeId));
            var batches = SampleCommands.Keys.Where(k => k.Iteration == iterationId).ToList();
            Assert.Equal(2, batches.Count);
        });
    }

    [Theory]
    [InlineData("policy", "deadbeefdeadbeef", "policy checkpoint: no checkpoint matches 'deadbeefdeadbeef'")]
    [InlineData("judge", "c3c3", "judge checkpoint: checkpoint 'c3c3': give a content hash (8+ characters) or an id")]
    public async Task AnUnknownCheckpointFailsTheRoundBeforeAnythingIsSampled(string role, string reference, string reason)
    {
        var iterationId = Guid.NewGuid();
        await WithHostAsync(async bus =>
        {
            var start = Start(iterationId, "round-ds", "{}");
            start = role == "policy" ? start with { PolicyCheckpoint = reference } : start with { JudgeCheckpoint = reference };
            await bus.Publish(start);
            var iteration = await WaitForStateAsync(iterationId, "Failed");
            Assert.Equal(reason, iteration.FailureReason);
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            Assert.False(await db.Batches.AnyAsync(b => b.IterationId == iterationId));
            Assert.DoesNotContain(SampleCommands.Keys, k => k.Iteration == iterationId);
        });
    }

    [Fact]
    public async Task AnUnknownDatasetFailsTheRoundWithTheReason()
    {
        var iterationId = Guid.NewGuid();
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(iterationId, "no-such-dataset", "{}"));
            var iteration = await WaitForStateAsync(iterationId, "Failed");
            Assert.Equal("dataset 'no-such-dataset' does not exist", iteration.FailureReason);
            for (var i = 0; i < 50 && !FailedEvents.Any(e => e.IterationId == iterationId); i++) await Task.Delay(100);
            var failed = Assert.Single(FailedEvents, e => e.IterationId == iterationId);
            Assert.Equal(("sample", "dataset 'no-such-dataset' does not exist"), (failed.Stage, failed.Reason));
        });
    }

    [Fact]
    public async Task ABadRoundConfigFailsTheRoundNamingTheField()
    {
        var iterationId = Guid.NewGuid();
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(iterationId, "round-ds", "{\"thresholds\":{\"maxAnswer\":80}}"));
            var iteration = await WaitForStateAsync(iterationId, "Failed");
            Assert.Contains("thresholds.maxAnswer must be within [0, 1], not 80", iteration.FailureReason);
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            Assert.NotNull(await db.Runs.FindAsync(iteration.RunId)); // recorded under its run
            Assert.False(await db.Batches.AnyAsync(b => b.IterationId == iterationId));
        });
    }

    [Theory]
    [InlineData("{\"batchSize\":10,\"training\":{\"dpo\":{\"beta\":0}}}", "round config: training.dpo: beta must be a positive number, not 0")]
    [InlineData("{\"thresholds\":{\"maxAnswer\":80}}", "round config: thresholds.maxAnswer must be within [0, 1], not 80")]
    public async Task ARunWhoseRoundConfigIsBadFailsItsFirstIterationNamingTheField_BeforeAnythingIsSampled(string config, string reason)
    {
        var runId = Guid.NewGuid();
        var iterationId = WorkflowIds.Iteration(runId, 1);
        await WithHostAsync(async bus =>
        {
            await bus.Publish(new StartRun(runId, "bad-config", "round-ds", PolicyHash, JudgeHash, 2, 20, config));
            var iteration = await WaitForStateAsync(iterationId, "Failed");
            Assert.Equal(reason, iteration.FailureReason);
            await WaitForRunAsync(runId, "failed"); // what `visrl run start` follows: it ends with the reason, not waiting for a run that never comes
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
            Assert.Equal(("bad-config", 2), (run.Name, run.PlannedIterations));
            Assert.NotNull(JsonNode.Parse(iteration.ConfigJson)!["training"]); // a run's iteration, not a round on its own
            Assert.False(await db.Batches.AnyAsync(b => b.IterationId == iterationId));
            Assert.DoesNotContain(SampleCommands.Keys, k => k.Iteration == iterationId);
        });
    }

    [Fact]
    public async Task AFilterThatThrowsPastItsRetriesFailsTheIterationWithTheException()
    {
        var iterationId = Guid.NewGuid();
        Script[(iterationId, -1, 0)] = "throw";
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(iterationId, "round-ds", "{\"batchSize\":10}"));
            var iteration = await WaitForStateAsync(iterationId, "Failed");
            Assert.Contains("InvalidOperationException: stand-in filter lost its database", iteration.FailureReason);
            for (var i = 0; i < 50 && !FailedEvents.Any(e => e.IterationId == iterationId); i++) await Task.Delay(100);
            Assert.Equal("filter", Assert.Single(FailedEvents, e => e.IterationId == iterationId).Stage);
        });
    }

    private const string Training = "{\"batchSize\":10,\"training\":{\"dpo\":{\"beta\":0.2}}}";

    [Fact]
    public async Task WithTrainingTheIterationGoesOnToDpoAndAStageFailureFailsItWithTheTrainersReason()
    {
        var iterationId = Guid.NewGuid();
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(iterationId, "round-ds", Training));
            var iteration = await WaitForStateAsync(iterationId, "Failed");
            Assert.Equal("DpoBoxAnswer: stand-in out of memory", iteration.FailureReason);
            Assert.Equal(new string('b', 64), iteration.BoxCheckpoint); // stage 1's checkpoint is recorded, stage 2 started from it
            Assert.NotNull(iteration.PairSetId);
            for (var i = 0; i < 50 && !FailedEvents.Any(e => e.IterationId == iterationId); i++) await Task.Delay(100);
            Assert.Equal("train-answer", Assert.Single(FailedEvents, e => e.IterationId == iterationId).Stage);
        });
    }

    [Fact]
    public async Task AnIterationStartedWhileItsDatabaseIsOutOfReachWaitsTheOutageOutAndEndsAsUsual()
    {
        var iterationId = Guid.NewGuid();
        using var postgres = new TcpRelay(TestStack.PostgresPort);
        // No EF retries (efRetries 0): an outage reaches MassTransit's retry at once.
        await WithHostAsync(async bus =>
        {
            postgres.Cut();
            await bus.Publish(Start(iterationId, "round-ds", "{\"batchSize\":10}"));
            await Task.Delay(TimeSpan.FromSeconds(4)); // past the quick retries (50, 100, 200 ms), which would have sent it to the error queue
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
                Assert.False(await db.Iterations.AnyAsync(i => i.Id == iterationId), "the saga wrote while its database was out of reach");
            postgres.Restore();

            await WaitForStateAsync(iterationId, "Paired");
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                var batches = await db.Batches.AsNoTracking().Where(b => b.IterationId == iterationId).ToListAsync();
                Assert.NotEmpty(batches);
                Assert.All(batches, b => Assert.Equal(("done", 1), (b.Status, b.Attempts))); // each sent once: the outage cost no attempt
            }
        }, postgres.Port, efRetries: 0);
    }

    [Fact]
    public async Task ASagaTransactionThatLosesItsConnectionIsTriedAgainWithAFreshOutbox_SoEachCommandLeavesOnce()
    {
        var iterationId = Guid.NewGuid();
        using var postgres = new TcpRelay(TestStack.PostgresPort);
        // EF's retries on, as in the services.
        await WithHostAsync(async bus =>
        {
            // Hold the saga at its last write: it has planned the batches and buffered their SampleBatch commands,
            // and waits to insert the iteration's row. Then its connection breaks.
            await using var blocker = new NpgsqlConnection(_database.ConnectionString);
            await blocker.OpenAsync();
            var hold = await blocker.BeginTransactionAsync();
            await new NpgsqlCommand("LOCK TABLE iterations IN SHARE MODE", blocker, hold).ExecuteNonQueryAsync();
            await bus.Publish(Start(iterationId, "round-ds", "{\"batchSize\":10}"));
            // Asked on a connection of its own: a transaction sees pg_stat_activity as it was at its first look.
            await using var watcher = new NpgsqlConnection(_database.ConnectionString);
            await watcher.OpenAsync();
            var waiting = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()", watcher);
            for (var i = 0; i < 100 && (long)(await waiting.ExecuteScalarAsync())! == 0; i++) await Task.Delay(100);
            Assert.True((long)(await waiting.ExecuteScalarAsync())! > 0, "the saga never waited for the iteration's row: the test proves nothing");
            postgres.Cut();
            postgres.Restore();
            await hold.RollbackAsync();

            await WaitForStateAsync(iterationId, "Paired");
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            var batches = await db.Batches.AsNoTracking().Where(b => b.IterationId == iterationId && b.Stage == BatchStages.Sample).Select(b => b.Id).ToListAsync();
            Assert.NotEmpty(batches);
            // Each batch's command left once, and no other: the broken try's commands were dropped with it.
            Assert.Equal(batches.Select(b => (b, 1, 1)).Order(), SampleCommands.Where(c => c.Key.Iteration == iterationId)
                .Select(c => (c.Key.Batch, c.Key.Attempt, c.Value)).Order());
        }, postgres.Port);
    }

    [Fact]
    public async Task ASagaCommitWhoseReplyWasLostStillSendsItsCommand_Once()
    {
        // The transition to Filtering commits, but the reply never reaches the Orchestrator (the relay holds the
        // server's replies), so the consume fails. Tried again, the last BatchScored meets an iteration already in
        // Filtering and changes nothing: BuildPairs must leave from what the commit wrote (the saga outbox).
        var iterationId = Guid.NewGuid();
        await SlowCommits.IntoFilteringAsync(_database.ConnectionString, seconds: 1);
        using var postgres = new TcpRelay(TestStack.PostgresPort);
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(iterationId, "round-ds", "{\"batchSize\":10}"));
            await WaitForTheCommitIntoFilteringAsync(underWay: true);
            postgres.Deafen();
            await WaitForTheCommitIntoFilteringAsync(underWay: false);
            postgres.Cut(); // the commit is made and its reply waits in the relay: the connection breaks before it arrives
            postgres.Restore();

            await WaitForStateAsync(iterationId, "Paired");
            Assert.Equal(1, FilterCommands.GetValueOrDefault(iterationId));
            Assert.Empty(await OutboxRowsAsync(iterationId));
            Assert.Contains($"BuildPairs of {iterationId}", File.ReadAllText(LogFile)); // sent by the relay
        }, postgres.Port);
    }

    [Fact]
    public async Task TheOutboxRelaySendsARowLeftBehind_AndKeepsOnesItCannotReadNamingThem()
    {
        var iterationId = Guid.NewGuid();
        var leftBehind = SagaOutbox.Row(iterationId, new BuildPairs(Guid.NewGuid(), iterationId, new FilterThresholds()));
        var unknown = new OutboxMessage { SagaId = iterationId, MessageType = "VisRL.Contracts.V1.NoSuchCommand, VisRL.Contracts", BodyJson = "{}" };
        var unreadable = new OutboxMessage { SagaId = iterationId, MessageType = leftBehind.MessageType, BodyJson = "[1, 2]" };
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
        {
            db.OutboxMessages.AddRange(leftBehind, unknown, unreadable);
            await db.SaveChangesAsync();
        }
        using (var host = StartHost())
        {
            await host.StartAsync();
            try
            {
                // Within a few of the relay's periods, and before the default period had first come round.
                await ServiceFleet.WaitUntilAsync(() => Task.FromResult(FilterCommands.ContainsKey(iterationId)), TimeSpan.FromSeconds(4.5 * RelaySeconds),
                    "the row left behind was not sent within a few of the relay's periods");
                for (var i = 0; i < 50 && (await OutboxRowsAsync(iterationId)).Count > 2; i++) await Task.Delay(100);
            }
            finally
            {
                await host.StopAsync();
            }
        }
        Assert.Equal([unknown.Id, unreadable.Id], (await OutboxRowsAsync(iterationId)).Select(r => r.Id).Order());
        var log = File.ReadAllText(LogFile);
        Assert.Contains($"outbox_messages row {unknown.Id}: unknown message type 'VisRL.Contracts.V1.NoSuchCommand, VisRL.Contracts'", log);
        Assert.Contains($"outbox_messages row {unreadable.Id}: its body is not a BuildPairs", log);
        Assert.Contains($"BuildPairs of {iterationId}", log);
    }

    private async Task WaitForTheCommitIntoFilteringAsync(bool underWay)
    {
        for (var i = 0; i < 400 && await SlowCommits.UnderWayAsync(_database.ConnectionString) != underWay; i++) await Task.Delay(25);
        Assert.True(await SlowCommits.UnderWayAsync(_database.ConnectionString) == underWay,
            underWay ? "the commit into Filtering was never seen: the test proves nothing" : "the commit into Filtering never ended");
    }

    private async Task<List<OutboxMessage>> OutboxRowsAsync(Guid iterationId)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        return await db.OutboxMessages.AsNoTracking().Where(m => m.SagaId == iterationId).ToListAsync();
    }

    [Fact]
    public async Task ATrainStageThatThrowsPastItsRetriesFailsTheIterationInThatStage()
    {
        var iterationId = Guid.NewGuid();
        Script[(iterationId, -2, 0)] = "throw";
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(iterationId, "round-ds", Training));
            var iteration = await WaitForStateAsync(iterationId, "Failed");
            Assert.Contains("DpoBox: InvalidOperationException: stand-in trainer could not publish its outcome", iteration.FailureReason);
            Assert.Null(iteration.BoxCheckpoint);
            for (var i = 0; i < 50 && !FailedEvents.Any(e => e.IterationId == iterationId); i++) await Task.Delay(100);
            Assert.Equal("train-box", Assert.Single(FailedEvents, e => e.IterationId == iterationId).Stage);
        });
    }

    [Fact]
    public async Task WithTrainingAFilterThatKeptNoPairsFailsTheIterationWithTheReason()
    {
        var iterationId = Guid.NewGuid();
        Script[(iterationId, -1, 0)] = "no pairs";
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(iterationId, "round-ds", Training));
            var iteration = await WaitForStateAsync(iterationId, "Failed");
            Assert.Contains("the filter kept no pairs among 20 items", iteration.FailureReason);
            Assert.Null(iteration.BoxCheckpoint);
        });
    }

    [Fact]
    public async Task ARoundWhoseEveryBatchFailedIsResumed_ItsBatchesGetFreshAttemptsAndItReachesPairs()
    {
        var iterationId = Guid.NewGuid();
        foreach (var key in new[] { (0, 1), (0, 2), (1, 1), (1, 2), (0, 3) }) Script[(iterationId, key.Item1, key.Item2)] = "fail";
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(iterationId, "round-ds", "{\"batchSize\":10,\"batchTaper\":1,\"maxBatchAttempts\":2}"));
            var failed = await WaitForStateAsync(iterationId, "Failed");
            Assert.Matches(@"^every sample batch failed \(batch [01]: stand-in failure\); see the batches' last_error$", failed.FailureReason);
            await WaitForRunAsync(failed.RunId, "failed");

            await bus.Publish(new ResumeIteration(failed.RunId, iterationId));
            var resumed = await WaitForStateAsync(iterationId, "Paired");

            Assert.Equal(1, resumed.Resumes);
            Assert.Null(resumed.FailureReason);
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                var batches = await db.Batches.AsNoTracking().Where(b => b.IterationId == iterationId).ToListAsync();
                // Each batch went on from its last attempt: batch 0 failed once more and its fresh budget covered that.
                Assert.Equal([("sample", 0, "done", 4), ("sample", 1, "done", 3), ("score", 0, "done", 1), ("score", 1, "done", 1)],
                    batches.OrderBy(b => b.Stage).ThenBy(b => b.Ordinal).Select(b => (b.Stage, b.Ordinal, b.Status, b.Attempts)));
                Assert.Equal("completed", (await db.Runs.AsNoTracking().SingleAsync(r => r.Id == failed.RunId)).Status); // a round's run ends at Paired
            }
            Assert.Equal(1, FilterCommands.GetValueOrDefault(iterationId));

            // The first failure's event, arriving late (its consumer was slow), does not fail the run again.
            var late = new IterationFailed(failed.RunId, iterationId, 1, "sample", "late");
            await bus.Publish(late);
            await ServiceFleet.WaitUntilAsync(() => Task.FromResult(FailedEvents.Contains(late)), TimeSpan.FromSeconds(30), "the late event was not delivered");
            await Task.Delay(TimeSpan.FromSeconds(2)); // the run consumer's endpoint had it at the same moment
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
                Assert.Equal("completed", (await db.Runs.AsNoTracking().SingleAsync(r => r.Id == failed.RunId)).Status);
        });
    }

    [Fact]
    public async Task ARoundWhoseEveryScoreBatchFailedFailsInScoring_InsteadOfPairingNothing_AndIsResumedToPairs()
    {
        var iterationId = Guid.NewGuid();
        foreach (var ordinal in new[] { 0, 1 })
            foreach (var attempt in new[] { 1, 2 }) Script[ScoreScript(iterationId, ordinal, attempt)] = "fail";
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(iterationId, "round-ds", "{\"batchSize\":10,\"batchTaper\":1,\"maxBatchAttempts\":2}"));
            var failed = await WaitForStateAsync(iterationId, "Failed");
            Assert.Matches(@"^every score batch failed \(batch [01]: stand-in judge failure\); see the batches' last_error$", failed.FailureReason);
            Assert.Null(failed.PairSetId);
            Assert.Equal(0, FilterCommands.GetValueOrDefault(iterationId)); // no empty pair set, no round "Paired" on nothing
            await WaitForRunAsync(failed.RunId, "failed");
            for (var i = 0; i < 50 && !FailedEvents.Any(e => e.IterationId == iterationId); i++) await Task.Delay(100);
            Assert.Equal("score", Assert.Single(FailedEvents, e => e.IterationId == iterationId).Stage);

            // The judge mended: taken up again, the score batches get fresh attempts and the round reaches its pairs.
            await bus.Publish(new ResumeIteration(failed.RunId, iterationId));
            Assert.Equal(1, (await WaitForStateAsync(iterationId, "Paired")).Resumes);
            Assert.Equal(1, FilterCommands.GetValueOrDefault(iterationId));
        });
    }

    [Fact]
    public async Task AnIterationResumedAfterDpoStage2AndThenAfterItsEvaluationFailed_RedoesOnlyWhatFailedAndCompletesItsRun()
    {
        var iterationId = Guid.NewGuid();
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(iterationId, "round-ds", Training));
            var failed = await WaitForStateAsync(iterationId, "Failed");
            Assert.Equal("DpoBoxAnswer: stand-in out of memory", failed.FailureReason);
            await WaitForEvaluationsAsync(iterationId, 1); // stage 1's checkpoint, evaluated beside stage 2

            Script[(iterationId, -3, 0)] = "train"; // the cause is mended: stage 2 now trains
            await bus.Publish(new ResumeIteration(failed.RunId, iterationId));
            failed = await WaitForStateAsync(iterationId, "Failed", resumes: 1);
            Assert.Equal($"evaluation of {new string('a', 64)}: stand-in lost the test split", failed.FailureReason);
            Assert.Equal(new string('a', 64), failed.OutputCheckpoint);

            Script[(iterationId, -4, 0)] = "evaluate";
            await bus.Publish(new ResumeIteration(failed.RunId, iterationId));
            var completed = await WaitForStateAsync(iterationId, "Completed");

            Assert.Equal(2, completed.Resumes);
            // Stage 1 trained once; stage 2 twice, as the same job from the same start; stage 1's evaluation, stored, was not asked again.
            var train = TrainCommands.Where(c => c.IterationId == iterationId).ToList();
            Assert.Equal([TrainingStage.DpoBox, TrainingStage.DpoBoxAnswer, TrainingStage.DpoBoxAnswer], train.Select(c => c.Stage));
            Assert.Equal(train[1], train[2]);
            Assert.Equal(new string('b', 64), train[2].StartCheckpoint);
            Assert.Equal([new string('b', 64), new string('a', 64), new string('a', 64)],
                EvaluateCommands.Where(c => c.IterationId == iterationId).Select(c => c.Checkpoint));
            await WaitForEvaluationsAsync(iterationId, 2);
            await WaitForRunAsync(completed.RunId, "completed");
            for (var i = 0; i < 50 && FailedEvents.Count(e => e.IterationId == iterationId) < 2; i++) await Task.Delay(100);
            Assert.Equal(["evaluate", "train-answer"], FailedEvents.Where(e => e.IterationId == iterationId).Select(e => e.Stage).Order());
        });
    }

    /// <summary>
    /// Resumed with looser thresholds (`visrl run retry --set thresholds.minBox=…`), the filter builds the set anew under them,
    /// and the iteration and its run record them; a later retry that would change what the iteration has used is refused,
    /// recorded with the reason, and leaves the iteration as it was.
    /// </summary>
    [Fact]
    public async Task AnIterationWhoseFilterKeptNoPairsIsResumedAtTheFilter_WhichBuildsItsSetAnewUnderLooserThresholds_AndAChangeToWhatItUsedIsRefused()
    {
        var iterationId = Guid.NewGuid();
        Script[(iterationId, -1, 0)] = "no pairs";
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(iterationId, "round-ds", Training));
            var failed = await WaitForStateAsync(iterationId, "Failed");
            Assert.Contains("the filter kept no pairs", failed.FailureReason);
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                // What the real Filter leaves: the empty set, which a build finds and returns as it is.
                db.PairSets.Add(new PairSet { Id = Guid.NewGuid(), IterationId = iterationId, ItemCount = 20, PairCount = 0, CreatedAt = DateTimeOffset.UtcNow });
                await db.SaveChangesAsync();
            }

            Script[(iterationId, -1, 0)] = "pairs"; // the looser thresholds keep pairs
            var loosen = new ResumeIteration(failed.RunId, iterationId, """{"thresholds":{"minBox":0.25}}""", Guid.NewGuid());
            await bus.Publish(loosen);
            var again = await WaitForStateAsync(iterationId, "Failed", resumes: 1); // on to DPO, whose stand-in stage 2 fails

            Assert.Equal("DpoBoxAnswer: stand-in out of memory", again.FailureReason);
            Assert.Equal(2, FilterCommands.GetValueOrDefault(iterationId));
            Assert.Equal([new RoundConfig().Thresholds.MinBox, 0.25], BuildPairsCommands.Where(c => c.IterationId == iterationId).Select(c => c.Thresholds.MinBox));
            Assert.Equal(0.25, RoundConfig.Parse(again.ConfigJson).Thresholds.MinBox);
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                Assert.False(await db.PairSets.AnyAsync(p => p.IterationId == iterationId), "the empty pair set was kept: the filter would return it again");
                Assert.All(await db.Batches.AsNoTracking().Where(b => b.IterationId == iterationId).ToListAsync(), b => Assert.Equal(("done", 1), (b.Status, b.Attempts)));
                var request = await db.IterationResumeRequests.AsNoTracking().SingleAsync(r => r.Id == loosen.RequestId);
                Assert.Equal((1, null), (request.Resume, request.Refusal));
                Assert.Equal(["thresholds.minBox"], request.Changed);
                Assert.Equal(new RoundConfig().Thresholds.MinBox, RoundConfig.Parse(request.ConfigBeforeJson).Thresholds.MinBox);
                // The run (this round's own) records the config its next iterations would use.
                Assert.Equal(0.25, RoundConfig.Parse((await db.Runs.AsNoTracking().SingleAsync(r => r.Id == failed.RunId)).ConfigJson).Thresholds.MinBox);
            }

            // Its DPO stages have used the DPO settings: a retry that changes them is refused, and nothing else happens.
            // The first request, redelivered now that the iteration has failed again, was handled already: it resumes nothing.
            await bus.Publish(loosen);
            var refused = new ResumeIteration(failed.RunId, iterationId, """{"training":{"dpo":{"beta":0.5}}}""", Guid.NewGuid());
            await bus.Publish(refused);
            IterationResumeRequest? refusal = null;
            await ServiceFleet.WaitUntilAsync(async () =>
            {
                await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
                return (refusal = await db.IterationResumeRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Id == refused.RequestId)) is not null;
            }, TimeSpan.FromSeconds(30), "the refused request was not recorded");
            Assert.StartsWith("training.dpo.beta cannot change on a retry at DPO stage 2: the iteration has used it already", refusal!.Refusal);
            Assert.Equal(2, refusal.Resume);
            Assert.Empty(refusal.Changed);
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                var after = await db.Iterations.AsNoTracking().SingleAsync(i => i.Id == iterationId);
                Assert.Equal(("Failed", 1, again.ConfigJson, again.FailureReason), (after.State, after.Resumes, after.ConfigJson, after.FailureReason));
            }
            Assert.Equal(2, TrainCommands.Count(c => c.IterationId == iterationId)); // stage 1 and stage 2, once each: nothing sent again
        });
    }

    [Fact]
    public async Task ARejectedRoundIsNotResumed_NorIsOneThatHasNotFailed()
    {
        var rejected = Guid.NewGuid();
        var paired = Guid.NewGuid();
        await WithHostAsync(async bus =>
        {
            await bus.Publish(Start(rejected, "no-such-dataset", "{}"));
            await bus.Publish(Start(paired, "round-ds", "{\"batchSize\":10}"));
            var before = await WaitForStateAsync(rejected, "Failed");
            await WaitForStateAsync(paired, "Paired");

            await bus.Publish(new ResumeIteration(before.RunId, rejected));
            await bus.Publish(new ResumeIteration(Guid.NewGuid(), paired));
            await bus.Publish(new ResumeIteration(Guid.NewGuid(), Guid.NewGuid())); // no such iteration: dropped, not faulted
            // A later round's way to Paired, dozens of messages through the same endpoint, outlasts the resumes above.
            var marker = Guid.NewGuid();
            await bus.Publish(Start(marker, "round-ds", "{\"batchSize\":10}"));
            await WaitForStateAsync(marker, "Paired");

            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            var after = await db.Iterations.AsNoTracking().Where(i => i.Id == rejected || i.Id == paired).ToDictionaryAsync(i => i.Id);
            Assert.Equal(("Failed", 0, before.FailureReason), (after[rejected].State, after[rejected].Resumes, after[rejected].FailureReason));
            Assert.Equal(("Paired", 0), (after[paired].State, after[paired].Resumes));
            Assert.Equal(1, FilterCommands.GetValueOrDefault(paired));
        });
    }

    private async Task WaitForRunAsync(Guid runId, string status) =>
        await ServiceFleet.WaitUntilAsync(async () =>
        {
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            return (await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId)).Status == status;
        }, TimeSpan.FromSeconds(30), $"run {runId} did not become {status}");

    private async Task WaitForEvaluationsAsync(Guid iterationId, int count) =>
        await ServiceFleet.WaitUntilAsync(async () =>
        {
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            var ids = new[] { TrainingStage.DpoBox, TrainingStage.DpoBoxAnswer }.Select(stage => WorkflowIds.Evaluation(iterationId, stage)).ToList();
            return await db.Evaluations.CountAsync(e => ids.Contains(e.EvaluationRunId)) == count;
        }, TimeSpan.FromSeconds(30), $"the iteration's checkpoints do not have {count} stored evaluation(s)");
}
