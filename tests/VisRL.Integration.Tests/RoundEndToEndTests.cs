using System.Net.Http.Headers;
using System.Text.Json;
using MassTransit;
using Npgsql;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Data.Synthetic;
using VisRL.DataGeneration;
using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Diagnostics;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Integration.Tests;

/// <summary>
/// Whole rounds (StartIteration → Paired) on the real test stack with the Orchestrator, Sampler,
/// Critic and Filter as separate processes (their built dlls), a fresh database per test (migrated
/// by the Orchestrator at start), a synthetic split and a tiny random VisRL-Tiny checkpoint.
/// Each test gives its services names of their own, so their queues are theirs alone.
/// </summary>
[Collection(StackCollection.Name)]
public class RoundEndToEndTests(TestStack stack) : IAsyncLifetime
{
    private const int Attempts = 2;

    private readonly string _prefix = $"rt{Guid.NewGuid().ToString("N")[..8]}-";
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), $"visrl-round-{Guid.NewGuid():N}");
    private DatabaseOptions _database = null!;
    private ServiceFleet _fleet = null!;
    private ChildProcess.Running _orchestrator = null!;
    private ChildProcess.Running _critic = null!;

    public async Task InitializeAsync()
    {
        _database = await TestStack.CreateEmptyDatabaseAsync();
        _fleet = new ServiceFleet(stack, _database, _prefix, _scratch);
        Directory.CreateDirectory(_scratch);
    }

    public Task DisposeAsync()
    {
        _fleet.Dispose();
        try { if (Directory.Exists(_scratch)) Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    /// <summary>The Orchestrator first (it migrates the empty database), then the seed, then the workers.</summary>
    private async Task<(ChildProcess.Running[] Samplers, Seed Seed)> StartRoundServicesAsync(int samplers, int items, Func<Seed, Task>? beforeWorkers = null)
    {
        _orchestrator = await _fleet.StartOrchestratorAsync();
        var seed = await SeedAsync(items);
        if (beforeWorkers is not null) await beforeWorkers(seed);
        var workers = Enumerable.Range(0, samplers).Select(_ => _fleet.Start("sampler")).ToArray();
        _critic = _fleet.Start("critic");
        _fleet.Start("filter");
        await _fleet.WaitForConsumersAsync(new Dictionary<string, int> { ["sampler-sample-batch"] = samplers, ["critic-score-batch"] = 1, ["filter-build-pairs"] = 1 });
        await ServiceFleet.WaitUntilAsync(async () =>
            (await ServiceFleet.QueuesAsync()).Count(q => q.Key.StartsWith(_prefix + "orchestrator-", StringComparison.Ordinal) && q.Value > 0) >= 2,
            TimeSpan.FromSeconds(60), "the orchestrator did not start consuming");
        return (workers, seed);
    }

    // ---- data ----

    public sealed record Seed(string Dataset, Guid DatasetId, List<long> ItemIds, string Hash, DatasetStorage Storage);

    private async Task<Seed> SeedAsync(int items)
    {
        var storage = DatasetStorage.Create(_database, stack.Blobs);
        var name = $"rt-{Guid.NewGuid():N}"[..20];
        var synth = await new SyntheticDatasetWriter(storage).WriteAsync(name, "rl", items,
            SyntheticSplitSpec.Create(21, sceneSize: 224, minObjects: 4, maxObjects: 6));
        var folder = Path.Combine(_scratch, "ckpt");
        string hash;
        using (var model = VisRLTiny.Create(TinyModel.Config, seed: 7)) hash = ModelCheckpoint.Save(model, folder);
        await new CheckpointStore(new VisRLDbContextFactory(_database), storage.Blobs, stack.Blobs.CheckpointsContainer).PublishAsync(folder, hash, "sft", 0);
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var itemIds = await db.Items.Where(i => i.DatasetId == synth.DatasetId).OrderBy(i => i.Ordinal).Select(i => i.Id).ToListAsync();
        return new Seed(name, synth.DatasetId, itemIds, hash, storage);
    }

    /// <summary>Runs <paramref name="test"/> with a bus of the test's own on the stack's broker, stopped afterwards.</summary>
    private async Task WithBusAsync(Func<IBus, Task> test)
    {
        var builder = TestStack.ServiceHost(_prefix + "test");
        builder.AddVisRLMessaging();
        using var host = builder.Build();
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

    private static string RoundConfig(int batchSize, string more = "") =>
        "{\"batchSize\":" + batchSize + "," + more + "\"sampling\":{\"attempts\":" + Attempts + "}}";

    private static StartIteration Start(Seed seed, int items, string config) =>
        new(NewId.NextGuid(), NewId.NextGuid(), 1, seed.Dataset, seed.Hash, seed.Hash, items, config);

    /// <summary>Waits for Paired; after <paramref name="redispatchAfter"/> asks for stuck batches every few seconds (what StuckBatchMonitor does each minute).</summary>
    private async Task<Iteration> WaitForPairedAsync(IBus bus, StartIteration start, TimeSpan timeout, TimeSpan? redispatchAfter = null)
    {
        var began = DateTime.UtcNow;
        var lastRedispatch = began;
        while (true)
        {
            _fleet.AssertAlive();
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                var iteration = await db.Iterations.AsNoTracking().SingleOrDefaultAsync(i => i.Id == start.IterationId);
                if (iteration?.State == "Paired") return iteration;
                if (iteration?.State == "Failed") Assert.Fail($"the round failed: {iteration.FailureReason}");
                if (DateTime.UtcNow - began > timeout)
                    throw new TimeoutException($"round {start.IterationId} is {iteration?.State ?? "absent"} after {timeout}\n"
                        + _fleet.Output);
            }
            if (redispatchAfter is { } after && DateTime.UtcNow - began > after && DateTime.UtcNow - lastRedispatch > TimeSpan.FromSeconds(3))
            {
                lastRedispatch = DateTime.UtcNow;
                await bus.Publish(new RedispatchStuckBatches(start.RunId, start.IterationId));
            }
            await Task.Delay(250);
        }
    }

    /// <summary>Exactly items × attempts × 2 candidates, one per (item, attempt, kind), and exactly one score per candidate.</summary>
    private async Task AssertExactCountsAsync(Guid iterationId, IReadOnlyCollection<long> itemIds, string judge)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var candidates = await db.Candidates.AsNoTracking().Where(c => c.IterationId == iterationId).ToListAsync();
        Assert.Equal(itemIds.Count * Attempts * 2, candidates.Count);
        Assert.Equal(candidates.Count, candidates.Select(c => (c.ItemId, c.Attempt, c.Kind)).Distinct().Count());
        Assert.Equal(itemIds.OrderBy(i => i), candidates.Select(c => c.ItemId).Distinct().OrderBy(i => i));
        Assert.All(candidates.GroupBy(c => c.ItemId), g => Assert.Equal(Attempts * 2, g.Count()));
        var scores = await db.Scores.AsNoTracking().Where(s => db.Candidates.Any(c => c.Id == s.CandidateId && c.IterationId == iterationId)).ToListAsync();
        Assert.Equal(candidates.Count, scores.Count);
        Assert.Equal(candidates.Select(c => c.Id).OrderBy(i => i), scores.Select(s => s.CandidateId).OrderBy(i => i));
        Assert.All(scores, s => Assert.Equal(judge, s.JudgeId));
        var batches = await db.Batches.AsNoTracking().Where(b => b.IterationId == iterationId).ToListAsync();
        Assert.All(batches, b => Assert.Equal("done", b.Status));
        Assert.NotNull(await db.PairSets.AsNoTracking().SingleOrDefaultAsync(p => p.IterationId == iterationId));
    }

    private static int BatchesDone(ChildProcess.Running sampler) =>
        sampler.Output.Split('\n').Count(line => line.Contains("candidates written for", StringComparison.Ordinal));

    // ---- the tests ----

    [Fact]
    public async Task ARoundOver20ItemsWithTwoSamplerReplicasIsPairedWithExactCounts()
    {
        const int items = 20;
        var (samplers, seed) = await StartRoundServicesAsync(samplers: 2, items);
        await WithBusAsync(async bus =>
        {
            var start = Start(seed, items, RoundConfig(2));
            await bus.Publish(start);
            var iteration = await WaitForPairedAsync(bus, start, TimeSpan.FromSeconds(120));
            Assert.Equal((items, 10), (iteration.ItemCount, iteration.BatchCount)); // batches of 2 stay whole: the taper cuts no lone item
            await AssertExactCountsAsync(start.IterationId, seed.ItemIds, seed.Hash);
            // Both replicas did work: each logged the batches it wrote, and together they wrote every batch once or more.
            var done = samplers.Select(BatchesDone).ToArray();
            Assert.All(done, n => Assert.True(n >= 1, $"a sampler replica wrote no batch ({string.Join(", ", done)})"));
            Assert.True(done.Sum() >= 10, $"batches written: {string.Join(", ", done)}");
        });
    }

    [Fact]
    public async Task ASamplerReplicaKilledMidRoundLosesAndDuplicatesNothing()
    {
        // Enough batches (one item each) that a kill after the victim's first batch lands mid-sampling
        // even on a loaded machine.
        const int items = 24;
        var (samplers, seed) = await StartRoundServicesAsync(samplers: 2, items);
        await WithBusAsync(async bus =>
        {
            var start = Start(seed, items, RoundConfig(1, "\"stuckAfterSeconds\":5,"));
            await bus.Publish(start);
            var victim = samplers[0];
            await ServiceFleet.WaitUntilAsync(() => Task.FromResult(BatchesDone(victim) >= 1), TimeSpan.FromSeconds(90), "the first replica finished no batch");
            await _fleet.KillAsync(victim);
            Assert.True(await SampledBatchesAsync(start.IterationId) < items, "the kill came after the round's sampling had ended; the test proves nothing");

            // The broker redelivers the killed replica's message; stuck redispatch is the safety net.
            await WaitForPairedAsync(bus, start, TimeSpan.FromSeconds(120), redispatchAfter: TimeSpan.FromSeconds(15));
            await AssertExactCountsAsync(start.IterationId, seed.ItemIds, seed.Hash);
            Assert.True(BatchesDone(samplers[1]) >= 1);
        });
    }

    [Fact]
    public async Task AnOrchestratorKilledAsItCommitsTheMoveToFiltering_SendsBuildPairsOnceRestarted()
    {
        // The commit into Filtering is made, but the Orchestrator dies before it can publish BuildPairs. The
        // BatchScored it was handling comes again to the restarted one and changes nothing (the round has moved
        // on), so BuildPairs must leave from what the commit wrote: the saga outbox. A deferred trigger makes
        // that commit take 2 s, time to kill the process in the middle of it.
        const int items = 4;
        var (_, seed) = await StartRoundServicesAsync(samplers: 1, items);
        await SlowCommits.IntoFilteringAsync(_database.ConnectionString, seconds: 2);
        await WithBusAsync(async bus =>
        {
            var start = Start(seed, items, RoundConfig(items));
            await bus.Publish(start);
            await ServiceFleet.WaitUntilAsync(() => SlowCommits.UnderWayAsync(_database.ConnectionString), TimeSpan.FromSeconds(90),
                () => $"the commit into Filtering was never seen\n{_fleet.Output}");
            await _fleet.KillAsync(_orchestrator);
            await ServiceFleet.WaitUntilAsync(async () => await StateAsync(start.IterationId) == "Filtering", TimeSpan.FromSeconds(10),
                "the commit into Filtering was not made: the test proves nothing");

            var restarted = await _fleet.StartOrchestratorAsync();
            await WaitForPairedAsync(bus, start, TimeSpan.FromSeconds(60));
            await AssertExactCountsAsync(start.IterationId, seed.ItemIds, seed.Hash);
            Assert.Contains($"BuildPairs of {start.IterationId}", restarted.Output); // sent by the outbox relay
        });
    }

    private async Task<string?> StateAsync(Guid iterationId)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        return await db.Iterations.AsNoTracking().Where(i => i.Id == iterationId).Select(i => i.State).SingleOrDefaultAsync();
    }

    [Fact]
    public async Task ARoundGoesOnThroughABrokerOutage_AndLosesAndDuplicatesNothing()
    {
        // Every service reaches RabbitMQ through a relay the test cuts for a few seconds mid-sampling: their
        // unacknowledged batches go back to the queues, and what they publish meanwhile waits for the broker.
        const int items = 24;
        using var rabbit = new TcpRelay(TestStack.RabbitPort);
        _fleet.BrokerPort = rabbit.Port;
        var (_, seed) = await StartRoundServicesAsync(samplers: 1, items);
        await WithBusAsync(async bus =>
        {
            var start = Start(seed, items, RoundConfig(1));
            await bus.Publish(start);
            await ServiceFleet.WaitUntilAsync(async () => await SampledBatchesAsync(start.IterationId) >= 3, TimeSpan.FromSeconds(90),
                () => $"no batch was sampled\n{_fleet.Output}");
            rabbit.Cut();
            await Task.Delay(TimeSpan.FromSeconds(5));
            Assert.True(await SampledBatchesAsync(start.IterationId) < items, "the cut came after the round's sampling had ended; the test proves nothing");
            rabbit.Restore();

            await WaitForPairedAsync(bus, start, TimeSpan.FromSeconds(120)); // no stuck-batch redispatch: the broker's redelivery is enough
            await AssertExactCountsAsync(start.IterationId, seed.ItemIds, seed.Hash);
            Assert.Contains("(Connection refused)", _fleet.Output); // the services did lose the broker
            // Each said so in one line, without the client's stack; should one not, the whole log shows which.
            Assert.False(_fleet.Output.Contains("at RabbitMQ.Client."), $"a service logged the RabbitMQ client's stack:\n{_fleet.Output}");
            Assert.Contains($"{_prefix}sampler-sample-batch: lost the broker (", _fleet.Output); // its connection ended, or the reconnect was refused, whichever it heard first
            Assert.Contains($"{_prefix}sampler-sample-batch: consuming again", _fleet.Output);
        });
    }

    [Fact]
    public async Task ASamplerReplicaCutOffSilently_IsTakenForDeadByItsHeartbeats_AndTheOtherFinishesTheRound()
    {
        // One of two Sampler replicas reaches RabbitMQ through a relay that goes silent as the round starts, as a
        // network partition does: no reset, no close. The broker still deals that replica a batch (it cannot
        // know), so the round can be paired only once missed heartbeats have told the broker the replica is gone
        // and the batch goes to the other; without them (the broker's 60 s, and the Orchestrator's stuck-batch
        // check after minutes) it could not be paired while the partition lasts.
        const int items = 24;
        var (_, seed) = await StartRoundServicesAsync(samplers: 1, items);
        using var relay = new TcpRelay(TestStack.RabbitPort);
        var throughRelay = new Dictionary<string, string> { ["VISRL__MESSAGING__PORT"] = relay.Port.ToString(), ["VISRL__MESSAGING__HEARTBEATSECONDS"] = "2" };
        var partitioned = _fleet.Start("sampler", throughRelay);
        _fleet.MayHitHeartbeatCrash(partitioned);
        await _fleet.WaitForConsumersAsync(new Dictionary<string, int> { ["sampler-sample-batch"] = 2 });
        await WithBusAsync(async bus =>
        {
            var start = Start(seed, items, RoundConfig(2));
            relay.Freeze();
            await bus.Publish(start);

            await WaitForPairedAsync(bus, start, TimeSpan.FromSeconds(40));
            await AssertExactCountsAsync(start.IterationId, seed.ItemIds, seed.Hash);
            Assert.Equal(0, BatchesDone(partitioned)); // the batch dealt to it never reached it
            await ServiceFleet.WaitUntilAsync(async () => (await ServiceFleet.QueuesAsync()).GetValueOrDefault(_prefix + "sampler-sample-batch") == 1,
                TimeSpan.FromSeconds(30), "the broker still counts the silent replica among the queue's consumers"); // the API's counts lag by seconds
            // The replica's own heartbeat check noticed too, and it says so while the partition lasts.
            Assert.Contains($"{_prefix}sampler-sample-batch: lost the broker (its connection ended:", partitioned.Output);

            // The partition heals: the replica, alive all along, comes back to its queue. Unless the client library's
            // heartbeat crash ended it meanwhile: then its supervisor's part is to start it again, which comes back as well.
            relay.Restore();
            var crashed = ServiceFleet.DiedOfHeartbeatCrash(partitioned);
            if (crashed) _fleet.Start("sampler", throughRelay);
            await _fleet.WaitForConsumersAsync(new Dictionary<string, int> { ["sampler-sample-batch"] = 2 });
            if (!crashed)
                await ServiceFleet.WaitUntilAsync(() => Task.FromResult(partitioned.Output.Contains($"{_prefix}sampler-sample-batch: consuming again")),
                    TimeSpan.FromSeconds(10), "the healed replica did not say it consumes again");
            _fleet.AssertAlive();
        });
    }

    [Fact]
    public async Task ASamplerWhoseClockIsTwentyMinutesBehindStampsItsBatchesByTheDatabasesClock()
    {
        // Its start stamps are what the Orchestrator's stuck check reads against its own dispatch stamps: taken by the
        // worker host's clock, a worker 20 minutes behind would have had every running batch taken for a stuck one.
        const int items = 8;
        var (_, seed) = await StartRoundServicesAsync(samplers: 0, items);
        var skewed = _fleet.Start("sampler", ServiceFleet.ClockOffBy(TimeSpan.FromMinutes(-20)));
        await _fleet.WaitForConsumersAsync(new Dictionary<string, int> { ["sampler-sample-batch"] = 1 });
        await WithBusAsync(async bus =>
        {
            var start = Start(seed, items, RoundConfig(2));
            await bus.Publish(start);
            await WaitForPairedAsync(bus, start, TimeSpan.FromSeconds(90));

            // The replica did run 20 minutes behind: its log lines say so.
            var logged = System.Text.RegularExpressions.Regex.Match(skewed.Output, @"^\[(\d\d:\d\d:\d\d)\.\d+ INF\].*Batch 0:", System.Text.RegularExpressions.RegexOptions.Multiline);
            Assert.True(logged.Success, $"no batch line in the skewed replica's log:\n{skewed.Output}");
            var behind = (DateTime.UtcNow.TimeOfDay - TimeSpan.Parse(logged.Groups[1].Value) + TimeSpan.FromDays(1)).TotalMinutes % (24 * 60);
            Assert.InRange(behind, 19, 22);

            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            var batches = await db.Batches.AsNoTracking().Where(b => b.IterationId == start.IterationId).ToListAsync();
            Assert.NotEmpty(batches);
            Assert.All(batches, b => Assert.True(b.DispatchedAt <= b.StartedAt && b.StartedAt <= b.CompletedAt,
                $"{b.Stage} batch {b.Ordinal}: dispatched {b.DispatchedAt:O}, started {b.StartedAt:O}, completed {b.CompletedAt:O}"));
        });
    }

    [Fact]
    public async Task ASamplerWhoseDatabaseRepliesAreLostWaitsItOut_AndTheRoundLosesAndDuplicatesNothing()
    {
        // The relay stops passing PostgreSQL's replies mid-round: the Sampler's commands are done, but it never
        // hears so, and they time out (after 2 s here, 30 s by default). A timeout is an outage, waited out like a
        // refused connection (by EF's retries, then the consume's), not a failed batch.
        using var postgres = new TcpRelay(TestStack.PostgresPort);
        var database = new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Port = postgres.Port, CommandTimeout = 2, Timeout = 2 };
        var sampler = await SampleThroughAnOutageAsync(postgres, postgres.Deafen, TimeSpan.FromSeconds(10),
            new Dictionary<string, string> { ["VISRL__DATABASE__CONNECTIONSTRING"] = database.ConnectionString });
        Assert.Contains("Failed executing DbCommand", sampler.Output); // the silence did cut a command short
        Assert.DoesNotContain("23505", sampler.Output); // no save tried again collided with its own rows
    }

    [Fact]
    public async Task ASamplerWhoseBlobStorageGoesSilentWaitsItOut_AndTheRoundLosesAndDuplicatesNothing()
    {
        // As above, with the images: blob requests that get no reply time out (three tries of 2 s here, 30 s by
        // default) and count as an outage of blob storage, not as items whose image cannot be had.
        using var azurite = new TcpRelay(TestStack.AzuritePort);
        var blobs = stack.Blobs.ConnectionString.Replace($":{TestStack.AzuritePort}/", $":{azurite.Port}/", StringComparison.Ordinal);
        var sampler = await SampleThroughAnOutageAsync(azurite, azurite.Freeze, TimeSpan.FromSeconds(12),
            new Dictionary<string, string> { ["VISRL__BLOBS__CONNECTIONSTRING"] = blobs, ["VISRL__BLOBS__NETWORKTIMEOUTSECONDS"] = "2" });
        Assert.Contains("waits for blob storage", sampler.Output); // an outage, said so and waited out
    }

    /// <summary>
    /// A round of 16 items whose only Sampler reaches a server through <paramref name="relay"/>, which
    /// <paramref name="silence"/> holds for <paramref name="outage"/> once two batches are in: the Sampler does
    /// not go on meanwhile, and afterwards the round is paired with exact counts, each batch sent once, and no
    /// item failed. Returns the Sampler for its log.
    /// </summary>
    private async Task<ChildProcess.Running> SampleThroughAnOutageAsync(TcpRelay relay, Action silence, TimeSpan outage,
        IReadOnlyDictionary<string, string> samplerSettings)
    {
        const int items = 16;
        var (_, seed) = await StartRoundServicesAsync(samplers: 0, items);
        var sampler = _fleet.Start("sampler", samplerSettings);
        await _fleet.WaitForConsumersAsync(new Dictionary<string, int> { ["sampler-sample-batch"] = 1 });
        await WithBusAsync(async bus =>
        {
            var start = Start(seed, items, RoundConfig(2));
            await bus.Publish(start);
            await ServiceFleet.WaitUntilAsync(async () => await SampledBatchesAsync(start.IterationId) >= 2, TimeSpan.FromSeconds(90),
                () => $"no batch was sampled\n{_fleet.Output}");
            silence();
            // The batch in hand may still finish in the first half (its images were in, or its write reached the server);
            // in the second half nothing moves. Counted in the Sampler's own rows: the Orchestrator's lag behind them is no measure.
            await Task.Delay(outage / 2);
            var candidatesMidway = await CandidatesAsync(start.IterationId);
            await Task.Delay(outage / 2);
            Assert.True(await CandidatesAsync(start.IterationId) == candidatesMidway, "the Sampler went on while its server was silent");
            relay.Restore();

            await WaitForPairedAsync(bus, start, TimeSpan.FromSeconds(120));
            await AssertExactCountsAsync(start.IterationId, seed.ItemIds, seed.Hash);
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            Assert.All(await db.Batches.AsNoTracking().Where(b => b.IterationId == start.IterationId).ToListAsync(), b => Assert.Equal(1, b.Attempts));
            Assert.False(await db.WorkFailures.AnyAsync(f => f.IterationId == start.IterationId));
        });
        return sampler;
    }

    private async Task<int> SampledBatchesAsync(Guid iterationId)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        return await db.Batches.CountAsync(b => b.IterationId == iterationId && b.Stage == "sample" && b.Status == "done");
    }

    private async Task<int> CandidatesAsync(Guid iterationId)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        return await db.Candidates.CountAsync(c => c.IterationId == iterationId);
    }

    /// <summary>
    /// Two corrupt images: each item is recorded and its part quarantined, and the round goes on. While it still scores
    /// (its Critic stopped), both parts are moved back: the mended item joins the round as a batch of its own and ends in
    /// its counts; the other fails again and waits in _error once more. Once the round is Paired, that one, mended, is refused.
    /// </summary>
    [Fact]
    public async Task CorruptImagesAreQuarantined_TheMendedPartMovedBackJoinsTheRoundThatStillScores_AndARoundThatMovedOnRefusesOne()
    {
        const int items = 8;
        Item[] broken = [];
        var intact = new List<byte[]>();
        var (_, seed) = await StartRoundServicesAsync(samplers: 1, items, async seed =>
        {
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            broken = [.. await db.Items.AsNoTracking().Where(i => i.Id == seed.ItemIds[3] || i.Id == seed.ItemIds[5]).OrderBy(i => i.Ordinal).ToListAsync()];
            foreach (var item in broken)
            {
                intact.Add(await seed.Storage.Blobs.GetAsync(seed.Storage.ImagesContainer, item.ImageBlobKey));
                await seed.Storage.Blobs.PutAsync(seed.Storage.ImagesContainer, item.ImageBlobKey, "this is not an image"u8.ToArray(), "image/png");
            }
        });
        await _fleet.KillAsync(_critic); // its queue stays, bound: the round's score batches wait there until a Critic starts
        await WithBusAsync(async bus =>
        {
            var start = Start(seed, items, RoundConfig(4, "\"batchTaper\":1,"));
            await bus.Publish(start);
            var errors = new ErrorQueueBroker(stack.Messaging);
            var sampleQueue = $"{_prefix}sampler-sample-batch";
            await ServiceFleet.WaitUntilAsync(async () => await StateAsync(start.IterationId) == "Scoring" && (await errors.PeekAsync(sampleQueue, 10, CancellationToken.None)).Count == 2,
                TimeSpan.FromSeconds(120), () => $"the round did not reach Scoring with two parts quarantined:\n{_fleet.Output}");
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                var failures = await db.WorkFailures.AsNoTracking().Where(f => f.IterationId == start.IterationId).OrderBy(f => f.ItemId).ToListAsync();
                Assert.Equal(broken.Select(b => (b.Id, WorkStages.Sample)), failures.Select(f => (f.ItemId, f.Stage)));
                Assert.All(failures.Zip(broken), p => Assert.Contains(p.Second.ImageBlobKey, p.First.Reason));
            }
            var quarantined = await errors.PeekAsync(sampleQueue, limit: 10, CancellationToken.None);
            Assert.All(quarantined, q => Assert.True(q.Quarantined));
            Assert.All(broken, b => Assert.Contains(quarantined, q => q.Reason.Contains(b.ImageBlobKey)));

            // The first is mended; both parts go back while the round still scores.
            await seed.Storage.Blobs.PutAsync(seed.Storage.ImagesContainer, broken[0].ImageBlobKey, intact[0], "image/png");
            Assert.Equal((2, 1u), (await errors.MoveBackAsync(sampleQueue, limit: null, CancellationToken.None)).Counts());
            await ServiceFleet.WaitUntilAsync(async () =>
            {
                await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
                return await db.Batches.CountAsync(b => b.IterationId == start.IterationId && b.Stage == "sample" && b.Status == "done") == 4
                    && (await errors.PeekAsync(sampleQueue, 10, CancellationToken.None)).Count == 1;
            }, TimeSpan.FromSeconds(60), () => $"the moved-back parts were not taken up:\n{_fleet.Output}");
            var again = Assert.Single(await errors.PeekAsync(sampleQueue, limit: 10, CancellationToken.None));
            Assert.Contains(broken[1].ImageBlobKey, again.Reason);
            Assert.Equal("Scoring", await StateAsync(start.IterationId));

            _fleet.Start("critic");
            var iteration = await WaitForPairedAsync(bus, start, TimeSpan.FromSeconds(120));
            Assert.Equal(2, iteration.BatchCount); // as planned; the parts joined as batches of their own
            await AssertExactCountsAsync(start.IterationId, [.. seed.ItemIds.Where(i => i != broken[1].Id)], seed.Hash);
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                var failure = await db.WorkFailures.AsNoTracking().SingleAsync(f => f.IterationId == start.IterationId);
                Assert.Equal(broken[1].Id, failure.ItemId);
                var parts = await db.Batches.AsNoTracking().Where(b => b.IterationId == start.IterationId && b.Ordinal >= 2).ToListAsync();
                Assert.Equal(4, parts.Count); // two sample parts and their score batches (the second has nothing to score)
                Assert.All(parts, b => Assert.Single(b.ItemIds));
            }

            // `visrl stats` names the item left out and why.
            var (statsCode, stats) = await ChildProcess.RunAsync(ChildProcess.Dotnet(ChildProcess.ProjectDll("VisRL.Cli", "visrl"), stack.CliEnvironment(_database),
                "stats", start.IterationId.ToString()), TimeSpan.FromSeconds(60));
            Assert.True(statsCode == 0, stats);
            Assert.Contains("work_failures", stats);
            Assert.Matches($@"│\s*{broken[1].Id}\s*│\s*sample\s*│", stats);
            Assert.Contains(broken[1].ImageBlobKey, stats);

            // Mended once the round is Paired, the last part is refused: back in _error with the reason, its failure kept.
            await seed.Storage.Blobs.PutAsync(seed.Storage.ImagesContainer, broken[1].ImageBlobKey, intact[1], "image/png");
            // `visrl errors retry` follows it: the Sampler process reports it handled, and names what it put back.
            var (retryCode, retried) = await ChildProcess.RunAsync(ChildProcess.Dotnet(ChildProcess.ProjectDll("VisRL.Cli", "visrl"), stack.CliEnvironment(_database),
                "errors", "retry", sampleQueue, "--wait", "60"), TimeSpan.FromSeconds(120));
            retried = ChildProcess.Flattened(retried);
            Assert.True(retryCode == 1, retried);
            Assert.Contains($"moved 1 message(s) from {sampleQueue}_error back to {sampleQueue}", retried);
            Assert.Contains($"handled; all of it is back in {sampleQueue}_error: iteration {start.IterationId} is Paired", retried);
            Assert.Contains("1 of 1 moved message(s) did not go through, 0 did: 1 handled with a part or all of it back", retried);
            Assert.Contains(await errors.PeekAsync(sampleQueue, 10, CancellationToken.None), m => m.Reason.Contains("is Paired"));
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                Assert.Equal(broken[1].Id, (await db.WorkFailures.AsNoTracking().SingleAsync(f => f.IterationId == start.IterationId)).ItemId);
                Assert.False(await db.Candidates.AnyAsync(c => c.IterationId == start.IterationId && c.ItemId == broken[1].Id));
                Assert.Equal(8, await db.Batches.CountAsync(b => b.IterationId == start.IterationId));
            }
        });
    }

    /// <summary>`infra/services.sh up` on the test stack, then `visrl round start` (the CLI as a process) to Paired, then `visrl stats`.</summary>
    [Fact]
    public async Task TheCliStartsARoundOnServicesStartedByServicesSh_AndPrintsItsStatistics()
    {
        const int items = 6;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database)) await db.Database.MigrateAsync();
        var seed = await SeedAsync(items);
        var scripts = TestStack.StackVariables("test", 0);
        scripts["VISRL_SERVICES_DIR"] = Path.Combine(_scratch, "services");
        scripts["VISRL_SERVICES_PREFIX"] = _prefix;
        scripts["VISRL__DATABASE__CONNECTIONSTRING"] = _database.ConnectionString;
        scripts["OMP_DISPLAY_ENV"] = "FALSE"; // a native runtime setting (libgomp's default): passed to the replicas
        scripts["VISRL_UNRELATED_SETTING"] = "1"; // not a replica's business: env -i keeps it out
        var (upCode, upOutput) = await TestStack.RunScriptAsync("infra/services.sh", ["up"], scripts, TimeSpan.FromMinutes(5));
        try
        {
            Assert.True(upCode == 0, upOutput);
            Assert.Equal(5, upOutput.Split('\n').Count(l => l.Contains(": alive (pid", StringComparison.Ordinal)));
            var samplerPid = (await File.ReadAllTextAsync(Path.Combine(_scratch, "services", "pids", "sampler-1.pid"))).Trim();
            var samplerEnvironment = (await File.ReadAllTextAsync($"/proc/{samplerPid}/environ")).Split('\0');
            Assert.Contains("OMP_DISPLAY_ENV=FALSE", samplerEnvironment);
            Assert.Contains("VISRL__TORCH__THREADS=1", samplerEnvironment);
            Assert.DoesNotContain(samplerEnvironment, v => v.StartsWith("VISRL_UNRELATED_SETTING=", StringComparison.Ordinal));

            var cli = ChildProcess.ProjectDll("VisRL.Cli", "visrl");
            var environment = new Dictionary<string, string>(scripts) { ["VISRL_ROOT"] = TestStack.Root };
            environment.Remove("VISRL_SERVICES_DIR");
            environment.Remove("VISRL_SERVICES_PREFIX");
            var config = Path.Combine(_scratch, "round.json");
            await File.WriteAllTextAsync(config, RoundConfig(3));
            var (code, output) = await ChildProcess.RunAsync(ChildProcess.Dotnet(cli, environment,
                "round", "start", "--dataset", seed.Dataset, "--policy", seed.Hash[..12], "--judge-is-policy", "--items", $"{items}", "--config", config,
                "--no-diversity", "--timeout", "150"), TimeSpan.FromSeconds(180));
            Assert.True(code == 0, output);
            Assert.Contains("Paired:", output);

            Guid iterationId;
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                var iteration = await db.Iterations.AsNoTracking().SingleAsync(i => i.State == "Paired");
                iterationId = iteration.Id;
                Assert.Equal((seed.Hash, seed.Hash), (iteration.PolicyCheckpoint, iteration.JudgeCheckpoint));
                using var recorded = JsonDocument.Parse(iteration.ConfigJson);
                Assert.False(recorded.RootElement.GetProperty("sampling").GetProperty("diversityController").GetBoolean());
                Assert.Equal(3, recorded.RootElement.GetProperty("batchSize").GetInt32());
            }
            await AssertExactCountsAsync(iterationId, seed.ItemIds, seed.Hash);

            var (statsCode, stats) = await ChildProcess.RunAsync(ChildProcess.Dotnet(cli, environment, "stats", iterationId.ToString()[..13]), TimeSpan.FromSeconds(60));
            Assert.True(statsCode == 0, stats);
            foreach (var view in new[] { "round_counts", "round_score_summary", "round_family_acceptance", "pair_box_quadrants" }) Assert.Contains(view, stats);
            Assert.Contains($"{items * Attempts * 2}", stats); // candidates and scored candidates
            // --json: the same views, every column, as the database has them.
            (statsCode, stats) = await ChildProcess.RunAsync(ChildProcess.Dotnet(cli, environment, "stats", iterationId.ToString(), "--json"), TimeSpan.FromSeconds(60));
            Assert.True(statsCode == 0, stats);
            using (var json = JsonDocument.Parse(stats))
            {
                Assert.Equal((iterationId, "Paired"), (json.RootElement.GetProperty("round").GetProperty("id").GetGuid(), json.RootElement.GetProperty("round").GetProperty("state").GetString()));
                var counts = Assert.Single(json.RootElement.GetProperty("views").GetProperty("round_counts").EnumerateArray());
                Assert.Equal((items * Attempts * 2, items * Attempts * 2), (counts.GetProperty("candidates").GetInt32(), counts.GetProperty("scored_candidates").GetInt32()));
                await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
                Assert.Equal(await db.PairSets.Where(p => p.IterationId == iterationId).Select(p => p.PairCount).SingleAsync(), counts.GetProperty("pairs").GetInt32());
                Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("views").GetProperty("work_failures").ValueKind);
            }

            // A round is listed with the runs, its run completed at Paired; following it ends at once.
            var (listCode, listed) = await ChildProcess.RunAsync(ChildProcess.Dotnet(cli, environment, "run", "list"), TimeSpan.FromSeconds(60));
            Assert.True(listCode == 0, listed);
            Assert.Matches(@"run-[0-9a-f]{8}\s+[0-9a-f-]{36}\s+completed\s+round\s+1: Paired", listed);
            var (showCode, shown) = await ChildProcess.RunAsync(ChildProcess.Dotnet(cli, environment, "run", "show", iterationId.ToString(), "--follow"), TimeSpan.FromSeconds(60));
            Assert.True(showCode == 0, shown);
            Assert.Matches($@"run run-[0-9a-f]{{8}} \([0-9a-f-]{{36}}\): completed, a round started on its own", ChildProcess.Flattened(shown));
            Assert.Contains($"iteration 1 ({iterationId}): Paired, {items} items in", ChildProcess.Flattened(shown));

            var (badCode, bad) = await ChildProcess.RunAsync(ChildProcess.Dotnet(cli, environment,
                "round", "start", "--dataset", "no-such-dataset", "--policy", seed.Hash[..12], "--judge-is-policy"), TimeSpan.FromSeconds(60));
            Assert.Equal(1, badCode);
            Assert.Contains("dataset 'no-such-dataset' does not exist", bad);
            var badConfig = Path.Combine(_scratch, "bad-split.json");
            await File.WriteAllTextAsync(badConfig, "{\"split\": 5}");
            (badCode, bad) = await ChildProcess.RunAsync(ChildProcess.Dotnet(cli, environment,
                "round", "start", "--dataset", seed.Dataset, "--policy", seed.Hash[..12], "--judge-is-policy", "--config", badConfig), TimeSpan.FromSeconds(60));
            Assert.Equal(1, badCode);
            Assert.Contains("round config: split must be a split's name (a string), not 5", bad);

            // services.sh supervises its replicas: a Sampler killed outright is started again, and the new process answers.
            var replicas = new ServiceReplicas(Path.Combine(_scratch, "services"));
            System.Diagnostics.Process.GetProcessById(int.Parse(samplerPid)).Kill();
            await ServiceFleet.WaitUntilAsync(() => Task.FromResult(replicas.AlivePids("sampler") is [var pid] && pid != int.Parse(samplerPid)),
                TimeSpan.FromSeconds(30), "the killed Sampler was not started again");
            var restarted = Assert.Single(replicas.AlivePids("sampler"));
            await WithBusAsync(async bus =>
            {
                var pong = await bus.CreateRequestClient<Ping>(MessagingExtensions.PingQueue(_prefix + "sampler"), RequestTimeout.After(s: 60))
                    .GetResponse<Pong>(new Ping(Guid.NewGuid(), DateTimeOffset.UtcNow));
                Assert.Equal(restarted, pong.Message.ProcessId);
            });
            Assert.Matches(@"sampler #1 exited by signal 9 after \d+ s; restart 1 in 1 s",
                await File.ReadAllTextAsync(Path.Combine(_scratch, "services", "logs", "sampler-1.log")));
        }
        finally
        {
            var (downCode, downOutput) = await TestStack.RunScriptAsync("infra/services.sh", ["down"], scripts, TimeSpan.FromMinutes(2));
            Assert.True(downCode == 0, downOutput);
            Assert.Equal(5, downOutput.Split('\n').Count(l => l.Contains(" stopped (pid ", StringComparison.Ordinal)));
            var (_, status) = await TestStack.RunScriptAsync("infra/services.sh", ["status"], scripts, TimeSpan.FromMinutes(1));
            Assert.Contains("no replicas", status);
        }
    }
}
