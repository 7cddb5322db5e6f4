using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VisRL.Contracts.V1;
using VisRL.Critic;
using VisRL.Data;
using VisRL.Data.Synthetic;
using VisRL.DataGeneration;
using VisRL.Modeling;
using VisRL.Platform.Blobs;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;
using VisRL.Sampler;

namespace VisRL.Integration.Tests;

/// <summary>
/// The Sampler's and Critic's consumers over the real RabbitMQ, PostgreSQL and Azurite, with a tiny
/// random VisRL-Tiny checkpoint published to blob storage: SampleBatch → candidates → BatchSampled,
/// ScoreBatch → scores → BatchScored; redelivery duplicates nothing; a corrupt image fails its item only, and
/// that item's quarantined part, moved back once the image is mended, is sampled.
/// </summary>
[Collection(StackCollection.Name)]
public class SamplerCriticTests(TestStack stack) : IAsyncLifetime
{
    private const int Items = 6, Attempts = 3;
    private static readonly ConcurrentBag<BatchSampled> Sampled = [];
    private static readonly ConcurrentBag<BatchScored> Scored = [];
    private static readonly ConcurrentBag<BatchFailed> Failed = [];

    private DatabaseOptions _database = null!;
    private DatasetStorage _storage = null!;
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), $"visrl-samplercritic-{Guid.NewGuid():N}");

    public sealed class Watcher : IConsumer<BatchSampled>, IConsumer<BatchScored>, IConsumer<BatchFailed>
    {
        public Task Consume(ConsumeContext<BatchSampled> context) { Sampled.Add(context.Message); return Task.CompletedTask; }
        public Task Consume(ConsumeContext<BatchScored> context) { Scored.Add(context.Message); return Task.CompletedTask; }
        public Task Consume(ConsumeContext<BatchFailed> context) { Failed.Add(context.Message); return Task.CompletedTask; }
    }

    public async Task InitializeAsync()
    {
        _database = await TestStack.CreateMigratedDatabaseAsync();
        _storage = DatasetStorage.Create(_database, stack.Blobs);
        Directory.CreateDirectory(_scratch);
    }

    public Task DisposeAsync()
    {
        if (Directory.Exists(_scratch)) Directory.Delete(_scratch, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>A synthetic split of <see cref="Items"/> items, a published tiny checkpoint, a run and an iteration row.</summary>
    private async Task<(Guid Run, Guid Iteration, List<long> ItemIds, string Hash)> SeedAsync()
    {
        var name = $"sc-{Guid.NewGuid():N}"[..20];
        var synth = await new SyntheticDatasetWriter(_storage).WriteAsync(name, "rl", Items, SyntheticSplitSpec.Create(11, sceneSize: 224, minObjects: 4, maxObjects: 6));

        var folder = Path.Combine(_scratch, "ckpt");
        string hash;
        using (var model = VisRLTiny.Create(TinyModel.Config, seed: 5)) hash = ModelCheckpoint.Save(model, folder);
        await new CheckpointStore(new VisRLDbContextFactory(_database), _storage.Blobs, stack.Blobs.CheckpointsContainer).PublishAsync(folder, hash, "sft", 0);

        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var itemIds = await db.Items.Where(i => i.DatasetId == synth.DatasetId).OrderBy(i => i.Ordinal).Select(i => i.Id).ToListAsync();
        var runId = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        db.Runs.Add(new Run { Id = runId, Name = "sampler-critic", Status = "running", CreatedAt = now, UpdatedAt = now });
        await db.SaveChangesAsync();
        return (runId, await NewIterationAsync(runId, 1, synth.DatasetId, hash), itemIds, hash);
    }

    private async Task<Guid> NewIterationAsync(Guid runId, int number, Guid datasetId, string hash)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var now = DateTimeOffset.UtcNow;
        var iteration = new Iteration { Id = Guid.NewGuid(), RunId = runId, Number = number, DatasetId = datasetId, PolicyCheckpoint = hash, JudgeCheckpoint = hash, JudgeId = hash, State = "Sampling", CreatedAt = now, UpdatedAt = now };
        db.Iterations.Add(iteration);
        await db.SaveChangesAsync();
        return iteration.Id;
    }

    private readonly string _service = $"samplercritic-test-{Guid.NewGuid().ToString()[..8]}";

    private IHost StartHost()
    {
        var builder = TestStack.ServiceHost(_service, new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = _database.ConnectionString,
            ["Blobs:ConnectionString"] = stack.Blobs.ConnectionString,
            ["Models:CacheFolder"] = Path.Combine(_scratch, "cache"),
            ["Torch:Threads"] = "1",
        });
        builder.AddVisRLPersistence();
        builder.AddVisRLBlobs();
        builder.AddVisRLModels();
        builder.AddVisRLMessaging(bus =>
        {
            bus.AddConsumer<SampleBatchConsumer>().Endpoint(e => e.ConcurrentMessageLimit = 1);
            bus.AddConsumer<ScoreBatchConsumer>().Endpoint(e => e.ConcurrentMessageLimit = 1);
            bus.AddConsumer<Watcher>();
        });
        return builder.Build();
    }

    private static async Task<T> WaitAsync<T>(ConcurrentBag<T> bag, Func<T, bool> match, int count = 1) where T : IBatchMessage
    {
        for (var i = 0; i < 600; i++)
        {
            var found = bag.Where(match).ToList();
            if (found.Count >= count) return found[^1];
            await Task.Delay(100);
        }
        throw new TimeoutException($"no {typeof(T).Name} (failures: {string.Join("; ", Failed.Select(f => f.Reason))})");
    }

    [Fact]
    public async Task SampleThenScore_RedeliveryDuplicatesNothing_AndACorruptImageFailsOnlyItsItem()
    {
        var (runId, iterationId, itemIds, hash) = await SeedAsync();
        using var host = StartHost();
        await host.StartAsync();
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            var sample = new SampleBatch(runId, iterationId, Guid.NewGuid(), 0, 1, itemIds, hash[..12], new SamplingSettings(Attempts: Attempts));
            await bus.Publish(sample);
            var sampled = await WaitAsync(Sampled, s => s.BatchId == sample.BatchId);
            Assert.Equal((Items * Attempts * 2, 0), (sampled.CandidateCount, sampled.FailedItemCount));

            await bus.Publish(sample); // redelivered
            var again = await WaitAsync(Sampled, s => s.BatchId == sample.BatchId, 2);
            Assert.Equal(Items * Attempts * 2, again.CandidateCount);

            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                var rows = await db.Candidates.AsNoTracking().Where(c => c.IterationId == iterationId).ToListAsync();
                Assert.Equal(Items * Attempts * 2, rows.Count);
                Assert.Equal(Items * Attempts, rows.Count(c => c.Kind == CandidateKinds.Own));
                Assert.All(rows.Where(c => c.Kind == CandidateKinds.Own), c => Assert.NotNull(c.X1));
                Assert.All(rows.Where(c => c.X1 is not null), c => Assert.NotNull(c.BoxLogProb));
            }

            var score = new ScoreBatch(runId, iterationId, Guid.NewGuid(), 0, 1, itemIds, hash, UseBoxCritic: true);
            await bus.Publish(score);
            var scored = await WaitAsync(Scored, s => s.BatchId == score.BatchId);
            Assert.Equal((Items * Attempts * 2, 0), (scored.ScoreCount, scored.FailedItemCount));
            await bus.Publish(score); // redelivered
            Assert.Equal(Items * Attempts * 2, (await WaitAsync(Scored, s => s.BatchId == score.BatchId, 2)).ScoreCount);
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                var scores = await db.Scores.AsNoTracking().Where(s => db.Candidates.Any(c => c.Id == s.CandidateId && c.IterationId == iterationId)).ToListAsync();
                Assert.Equal(Items * Attempts * 2, scores.Count);
                Assert.Equal(scores.Count, scores.Select(s => s.CandidateId).Distinct().Count());
                Assert.All(scores, s =>
                {
                    Assert.Equal(hash, s.JudgeId);
                    Assert.True(s.AnswerScore is 0 or 1);
                    Assert.True(s.BoxScore is >= 0 and <= 1 || s.Error is not null, $"s_b {s.BoxScore}, error {s.Error}");
                });
            }

            // A corrupt image: that item is recorded in work_failures with the blob and the reason; the rest are sampled and scored.
            Item broken;
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
                broken = await db.Items.AsNoTracking().SingleAsync(i => i.Id == itemIds[2]);
            var intact = await _storage.Blobs.GetAsync(_storage.ImagesContainer, broken.ImageBlobKey);
            await _storage.Blobs.PutAsync(_storage.ImagesContainer, broken.ImageBlobKey, "this is not an image"u8.ToArray(), "image/png");
            Guid datasetId;
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
                datasetId = (await db.Iterations.SingleAsync(i => i.Id == iterationId)).DatasetId!.Value;
            var iteration2 = await NewIterationAsync(runId, 2, datasetId, hash);

            var sample2 = sample with { IterationId = iteration2, BatchId = Guid.NewGuid() };
            await bus.Publish(sample2);
            var sampled2 = await WaitAsync(Sampled, s => s.BatchId == sample2.BatchId);
            Assert.Equal(((Items - 1) * Attempts * 2, 1), (sampled2.CandidateCount, sampled2.FailedItemCount));
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                var failure = await db.WorkFailures.AsNoTracking().SingleAsync(f => f.IterationId == iteration2);
                Assert.Equal((broken.Id, WorkStages.Sample), (failure.ItemId, failure.Stage));
                Assert.Contains(broken.ImageBlobKey, failure.Reason);
                Assert.Contains("unknown image format", failure.Reason);
                Assert.False(await db.Candidates.AnyAsync(c => c.IterationId == iteration2 && c.ItemId == broken.Id));
            }
            // …and the poisoned part of the batch is quarantined in the sampler's _error queue, with the reason.
            var errors = new ErrorQueueBroker(stack.Messaging);
            var quarantined = Assert.Single(await errors.PeekAsync($"{_service}-sample-batch", limit: 10, CancellationToken.None));
            Assert.Equal(("SampleBatch", true), (quarantined.Type, quarantined.Quarantined));
            Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(quarantined.FailedAt!, System.Globalization.CultureInfo.InvariantCulture) < TimeSpan.FromMinutes(5), quarantined.FailedAt);
            Assert.Contains(broken.ImageBlobKey, quarantined.Reason);
            Assert.Contains($"batchId={sample2.BatchId} ", quarantined.Fields);
            Assert.Contains("itemIds=[1]", quarantined.Fields);

            var score2 = score with { IterationId = iteration2, BatchId = Guid.NewGuid(), UseBoxCritic = false };
            await bus.Publish(score2);
            var scored2 = await WaitAsync(Scored, s => s.BatchId == score2.BatchId);
            Assert.Equal((Items - 1) * Attempts * 2, scored2.ScoreCount);
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
                Assert.All(await db.Scores.AsNoTracking().Where(s => db.Candidates.Any(c => c.Id == s.CandidateId && c.IterationId == iteration2)).ToListAsync(),
                    s => Assert.Null(s.BoxScore)); // box critic off
            Assert.DoesNotContain(Failed, f => f.IterationId == iterationId || f.IterationId == iteration2);

            // Mended, the quarantined part goes back (`visrl errors retry`). A round that has moved on refuses it:
            // it waits in _error again with the reason, and its item's failure stays recorded.
            await _storage.Blobs.PutAsync(_storage.ImagesContainer, broken.ImageBlobKey, intact, "image/png");
            await SetStateAsync(iteration2, "Paired");
            Assert.Equal((1, 1u), (await errors.MoveBackAsync($"{_service}-sample-batch_error", limit: null, CancellationToken.None)).Counts());
            var refused = await WaitForParkedAsync(errors, $"{_service}-sample-batch", r => r.Contains("is Paired"));
            Assert.Contains($"iteration {iteration2} is Paired: a round takes a moved-back part only while it samples and scores; start a new round", refused.Reason);
            Assert.Contains("itemIds=[1]", refused.Fields);
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                Assert.True(await db.WorkFailures.AnyAsync(f => f.IterationId == iteration2 && f.ItemId == broken.Id && f.Stage == WorkStages.Sample));
                Assert.False(await db.Candidates.AnyAsync(c => c.IterationId == iteration2 && c.ItemId == broken.Id));
                Assert.False(await db.Batches.AnyAsync(b => b.IterationId == iteration2));
            }

            // While the round samples, the Sampler samples exactly that item, as a batch of its own that the round waits for.
            await SetStateAsync(iteration2, "Sampling");
            Assert.Equal((1, 1u), (await errors.MoveBackAsync($"{_service}-sample-batch_error", limit: null, CancellationToken.None)).Counts());
            var claimed = await WaitAsync(Sampled, s => s.IterationId == iteration2 && s.BatchId != sample2.BatchId);
            Assert.Equal((Attempts * 2, 0), (claimed.CandidateCount, claimed.FailedItemCount));
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                Assert.Equal(Attempts * 2, await db.Candidates.CountAsync(c => c.IterationId == iteration2 && c.ItemId == broken.Id));
                Assert.Equal(Items * Attempts * 2, await db.Candidates.CountAsync(c => c.IterationId == iteration2));
                Assert.False(await db.WorkFailures.AnyAsync(f => f.IterationId == iteration2 && f.Stage == WorkStages.Sample));
                var claim = await db.Batches.AsNoTracking().SingleAsync(b => b.IterationId == iteration2);
                Assert.Equal((claimed.BatchId, "sample", 0, "dispatched"), (claim.Id, claim.Stage, claim.Ordinal, claim.Status));
                Assert.Equal([broken.Id], claim.ItemIds);
                Assert.NotNull(claim.StartedAt);
            }
            Assert.Empty(await errors.PeekAsync($"{_service}-sample-batch", limit: 10, CancellationToken.None));

            // The Critic alike: its 6 new candidates meet a corrupt image, are quarantined, and are scored once it is mended and moved back.
            await _storage.Blobs.PutAsync(_storage.ImagesContainer, broken.ImageBlobKey, "this is not an image"u8.ToArray(), "image/png");
            var score3 = score2 with { BatchId = Guid.NewGuid() };
            await bus.Publish(score3);
            var scored3 = await WaitAsync(Scored, s => s.BatchId == score3.BatchId);
            Assert.Equal(((Items - 1) * Attempts * 2, 1), (scored3.ScoreCount, scored3.FailedItemCount));
            Assert.Contains(broken.ImageBlobKey, Assert.Single(await errors.PeekAsync($"{_service}-score-batch", limit: 10, CancellationToken.None)).Reason);
            await _storage.Blobs.PutAsync(_storage.ImagesContainer, broken.ImageBlobKey, intact, "image/png");
            Assert.Equal((1, 1u), (await errors.MoveBackAsync($"{_service}-score-batch", limit: null, CancellationToken.None)).Counts());
            var scoredPart = await WaitAsync(Scored, s => s.IterationId == iteration2 && s.BatchId != score2.BatchId && s.BatchId != score3.BatchId);
            Assert.Equal((Attempts * 2, 0), (scoredPart.ScoreCount, scoredPart.FailedItemCount));
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                Assert.Equal(Items * Attempts * 2, await db.Scores.CountAsync(s => db.Candidates.Any(c => c.Id == s.CandidateId && c.IterationId == iteration2)));
                Assert.False(await db.WorkFailures.AnyAsync(f => f.IterationId == iteration2));
                // Its claim is numbered after the round's batches of either stage, so that no two share an ordinal.
                var claim = await db.Batches.AsNoTracking().SingleAsync(b => b.Id == scoredPart.BatchId);
                Assert.Equal(("score", 1), (claim.Stage, claim.Ordinal));
                Assert.Equal([broken.Id], claim.ItemIds);
            }

            // A part that faults past its retries goes to _error with its message id unchanged. Moved back again, it is a new
            // move-back: it gets a claim of its own (the first one has ended), which a redelivery of it shares.
            var sampler = await bus.GetSendEndpoint(new Uri($"queue:{_service}-sample-batch"));
            var messageId = Guid.NewGuid();
            Task MoveBackAsync(string at) => sampler.Send(sample2 with { ItemIds = [broken.Id] }, send =>
            {
                send.MessageId = messageId;
                send.Headers.Set(ErrorQueue.MovedBackHeader, at);
            });
            const string firstMove = "2026-11-25T10:00:00.0000000Z", secondMove = "2026-11-25T10:05:00.0000000Z";
            await MoveBackAsync(firstMove);
            await MoveBackAsync(firstMove); // redelivered
            await MoveBackAsync(secondMove);
            Guid[] claimIds = [MovedBackWork.ClaimId(messageId, firstMove), MovedBackWork.ClaimId(messageId, secondMove)];
            await WaitAsync(Sampled, s => s.BatchId == claimIds[0], count: 2);
            await WaitAsync(Sampled, s => s.BatchId == claimIds[1]);
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            {
                var claims = await db.Batches.AsNoTracking().Where(b => b.IterationId == iteration2 && b.Stage == "sample").OrderBy(b => b.Ordinal).ToListAsync();
                Assert.Equal([claimed.BatchId, .. claimIds], claims.Select(b => b.Id));
                Assert.Equal([0, 2, 3], claims.Select(b => b.Ordinal));
                Assert.Equal(Items * Attempts * 2, await db.Candidates.CountAsync(c => c.IterationId == iteration2)); // nothing sampled twice
            }
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private async Task SetStateAsync(Guid iterationId, string state)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        await db.Iterations.Where(i => i.Id == iterationId).ExecuteUpdateAsync(s => s.SetProperty(i => i.State, state));
    }

    /// <summary>The message parked in <paramref name="queue"/>'s _error queue whose reason matches, once it is there.</summary>
    private static async Task<FailedMessage> WaitForParkedAsync(ErrorQueueBroker errors, string queue, Func<string, bool> reason)
    {
        for (var i = 0; i < 300; i++)
        {
            if ((await errors.PeekAsync(queue, limit: 10, CancellationToken.None)).FirstOrDefault(m => reason(m.Reason)) is { } parked) return parked;
            await Task.Delay(100);
        }
        throw new TimeoutException($"nothing parked in {queue}_error with the reason looked for");
    }

    [Fact]
    public async Task TheModelCacheKeepsTheLastTwoCheckpoints_AndAMissingPolicyFailsTheBatch()
    {
        var store = new CheckpointStore(new VisRLDbContextFactory(_database), _storage.Blobs, stack.Blobs.CheckpointsContainer);
        await _storage.Blobs.EnsureContainersAsync();
        var hashes = new List<string>();
        for (int seed = 0; seed < 3; seed++)
        {
            var folder = Path.Combine(_scratch, $"ckpt-{seed}");
            using (var model = VisRLTiny.Create(TinyModel.Config, seed: seed)) hashes.Add(ModelCheckpoint.Save(model, folder));
            await store.PublishAsync(folder, hashes[^1], "sft", seed);
        }
        var cacheFolder = Path.Combine(_scratch, "cache-lru");
        using (var cache = new ModelCache(store, cacheFolder, keep: 2))
        {
            foreach (var hash in hashes)
                Assert.Equal(hash, await cache.UseAsync(hash[..10], (model, full) => full));
            Assert.Equal([hashes[2], hashes[1]], cache.Loaded);
            await cache.UseAsync(hashes[1], (_, _) => 0);
            Assert.Equal([hashes[1], hashes[2]], cache.Loaded);
            Assert.All(hashes, h => Assert.True(Directory.Exists(Path.Combine(cacheFolder, h))));
            await Assert.ThrowsAsync<KeyNotFoundException>(() => cache.UseAsync(new string('0', 64), (_, _) => 0));
        }

        var (runId, iterationId, itemIds, _) = await SeedAsync();
        using var host = StartHost();
        await host.StartAsync();
        try
        {
            var sample = new SampleBatch(runId, iterationId, Guid.NewGuid(), 0, 2, itemIds, new string('f', 64), new SamplingSettings());
            await host.Services.GetRequiredService<IBus>().Publish(sample);
            BatchFailed? failed = null;
            for (var i = 0; i < 300 && failed is null; i++, await Task.Delay(100))
                failed = Failed.FirstOrDefault(f => f.BatchId == sample.BatchId);
            Assert.NotNull(failed);
            Assert.Equal((WorkStages.Sample, 2), (failed!.Stage, failed.Attempt));
            Assert.Contains("no checkpoint matches", failed.Reason);
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            Assert.False(await db.Candidates.AnyAsync(c => c.IterationId == iterationId));
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
