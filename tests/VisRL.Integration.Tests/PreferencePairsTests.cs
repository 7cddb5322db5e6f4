using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Data.Synthetic;
using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;
using VisRL.Platform.Training;
using VisRL.Training;

namespace VisRL.Integration.Tests;

/// <summary>
/// A DPO stage whose pair set holds an item with a damaged image trains on the other pairs, and records the item; a
/// resumed stage goes on with exactly the pairs it started on.
/// </summary>
[Collection(StackCollection.Name)]
public class PreferencePairsTests(TestStack stack) : IAsyncLifetime
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), $"visrl-pairs-{Guid.NewGuid():N}");
    private DatabaseOptions _database = null!;
    private DatasetStorage _storage = null!;

    public async Task InitializeAsync()
    {
        _database = await TestStack.CreateMigratedDatabaseAsync();
        _storage = DatasetStorage.Create(_database, stack.Blobs);
    }

    public Task DisposeAsync()
    {
        try { if (Directory.Exists(_scratch)) Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AnItemWhoseImageIsDamagedCostsOnlyItsPairs_AndIsRecorded_AndAPairSetWithNoneLeftFailsNamingTheReason()
    {
        var (iterationId, pairSetId, items) = await SeedPairSetAsync(itemCount: 3);
        await _storage.Blobs.PutAsync(_storage.ImagesContainer, items[1].ImageBlobKey, "not a png"u8.ToArray(), "image/png");

        var (training, _, policy) = await PublishPolicyAsync();
        var job = Guid.NewGuid();
        var trained = await training.RunAsync(new PreferenceRequest(job, null, iterationId,
            TrainingStage.DpoBox, policy, pairSetId, new DpoSettings(Epochs: 1, BatchSize: 2), Path.Combine(_scratch, "work")));

        Assert.Equal(1, trained.Step); // ⌈1 epoch × 2 pairs / batch 2⌉: the other two items' pairs
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var failure = await db.WorkFailures.AsNoTracking().SingleAsync(f => f.IterationId == iterationId);
        Assert.Equal((items[1].Id, WorkStages.Train), (failure.ItemId, failure.Stage));
        Assert.Contains(items[1].ImageBlobKey, failure.Reason);
        var row = await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == job);
        using var config = JsonDocument.Parse(row.ConfigJson);
        Assert.Equal(2, config.RootElement.GetProperty("pairs").GetInt32());
        Assert.Equal(items[1].Id, Assert.Single(config.RootElement.GetProperty("skippedItems").EnumerateArray()).GetProperty("item").GetInt64());
        Assert.Equal(await PairIdsAsync(pairSetId, items[0], items[2]), row.PairIds);

        foreach (var item in items)
            await _storage.Blobs.PutAsync(_storage.ImagesContainer, item.ImageBlobKey, "not a png"u8.ToArray(), "image/png");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PreferencePairs.LoadAsync(_storage, pairSetId, null, CancellationToken.None));
        Assert.Contains($"pair set {pairSetId}: no image of its 3 pairs' items can be loaded", error.Message);
        Assert.Equal(3, await db.WorkFailures.CountAsync(f => f.IterationId == iterationId && f.Stage == WorkStages.Train));
    }

    [Theory]
    [InlineData("precomputed")] // before pinning: failed, the stored reference has no log-prob for the third pair
    [InlineData("frozen")] // before pinning: failed, its resume checkpoint belongs to a 4-step plan and 3 pairs plan 6
    public async Task AResumedJobGoesOnWithThePairsItStartedOn_AndFailsNamingAnItemItCanNoLongerHave(string reference)
    {
        var (iterationId, pairSetId, items) = await SeedPairSetAsync(itemCount: 3);
        var (training, checkpoints, policy) = await PublishPolicyAsync();
        PreferenceRequest Request(Guid job) => new(job, null, iterationId, TrainingStage.DpoBox, policy, pairSetId,
            new DpoSettings(Reference: reference, Epochs: 2, BatchSize: 1, CheckpointEvery: 1), Path.Combine(_scratch, "work"));
        async Task CrashAfterStep2Async(Guid job)
        {
            using var crash = new CancellationTokenSource();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => training.RunAsync(Request(job), m => { if (m.Step == 2) crash.Cancel(); }, crash.Token));
        }

        // Item 1's image is damaged when the job starts, so it trains on the other two pairs; repaired before the job
        // resumes, it must not join them: 2 pairs plan 2 epochs × 2 = 4 steps, 3 would plan 6.
        var image = await _storage.Blobs.GetAsync(_storage.ImagesContainer, items[1].ImageBlobKey);
        await _storage.Blobs.PutAsync(_storage.ImagesContainer, items[1].ImageBlobKey, "not a png"u8.ToArray(), "image/png");
        var job = Guid.NewGuid();
        await CrashAfterStep2Async(job);
        await _storage.Blobs.PutAsync(_storage.ImagesContainer, items[1].ImageBlobKey, image, "image/png");
        var trained = await training.RunAsync(Request(job));
        Assert.Equal(4, trained.Step);
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        Assert.Equal(await PairIdsAsync(pairSetId, items[0], items[2]), (await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == job)).PairIds);
        Assert.True(await db.TrainingMetrics.AnyAsync(m => m.TrainingJobId == job && m.Name == "resumed_from_step"), "the job did not resume: the test proves nothing");

        // A job that started on all three pairs cannot go on once an item's image is damaged: it fails naming the item.
        var second = Guid.NewGuid();
        await CrashAfterStep2Async(second);
        await _storage.Blobs.PutAsync(_storage.ImagesContainer, items[2].ImageBlobKey, "not a png"u8.ToArray(), "image/png");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => training.RunAsync(Request(second)));
        Assert.Contains($"the job started on 3 pairs, and the image of 1 of their items cannot be had now (item {items[2].Id}: ", error.Message);
        Assert.EndsWith("it cannot go on with other pairs", error.Message);
        Assert.Null(await checkpoints.LatestOfJobAsync(second, "dpo-box"));
    }

    [Fact]
    public async Task ItemLoaderLoadsTheOthersAndNamesTheDamagedOne_WhereEveryItemIsNeededTheLoadFailsNamingIt()
    {
        var (_, _, items) = await SeedPairSetAsync(itemCount: 3);
        await _storage.Blobs.PutAsync(_storage.ImagesContainer, items[2].ImageBlobKey, "not a png"u8.ToArray(), "image/png");
        var ids = new[] { items[2].Id, 999_999L, items[0].Id, items[1].Id };

        var load = await ItemLoader.LoadAsync(_storage, ids);
        Assert.Equal([items[0].Id, items[1].Id], load.Loaded.Select(i => i.Row.Id));
        Assert.Equal([items[2].Id, 999_999L], load.Failed.Select(f => f.ItemId)); // in the order asked
        Assert.Contains(items[2].ImageBlobKey, load.Failed[0].Reason);
        Assert.Equal("no item with id 999999", load.Failed[1].Reason);

        var missing = await Assert.ThrowsAsync<DatasetNotFoundException>(() => StoredItems.LoadByIdAsync(_storage, ids));
        Assert.Equal("no item with id 999999", missing.Message);
        var damaged = await Assert.ThrowsAsync<InvalidDataException>(() => StoredItems.LoadByIdAsync(_storage, [items[0].Id, items[2].Id]));
        Assert.StartsWith($"1 item(s) cannot be loaded: item {items[2].Id}: ", damaged.Message);
        string dataset;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
            dataset = await db.Datasets.Where(d => d.Id == items[0].DatasetId).Select(d => d.Name).SingleAsync();
        var split = await Assert.ThrowsAsync<InvalidDataException>(() => StoredItems.LoadAsync(_storage, dataset, "rl", null));
        Assert.Contains(items[2].ImageBlobKey, split.Message);
        Assert.Equal(2, (await StoredItems.LoadAsync(_storage, dataset, "rl", limit: 2)).Count); // the damaged item is not among the first two
    }

    /// <summary>A DPO stage runner and a published VisRL-Tiny policy to start it from.</summary>
    private async Task<(PreferenceTraining Training, CheckpointStore Checkpoints, string Policy)> PublishPolicyAsync()
    {
        var contexts = new VisRLDbContextFactory(_database);
        var checkpoints = new CheckpointStore(contexts, _storage.Blobs, stack.Blobs.CheckpointsContainer);
        var folder = Path.Combine(_scratch, "policy");
        string policy;
        using (var model = VisRLTiny.Create(TinyModel.Config, seed: 3)) policy = ModelCheckpoint.Save(model, folder);
        await checkpoints.PublishAsync(folder, policy, "sft", 0);
        return (new PreferenceTraining(_storage, checkpoints, new TrainingJournal(contexts)), checkpoints, policy);
    }

    private async Task<long[]> PairIdsAsync(Guid pairSetId, params Item[] items)
    {
        var ids = items.Select(i => i.Id).ToList();
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        return await db.Pairs.Where(p => p.PairSetId == pairSetId && ids.Contains(p.ItemId)).OrderBy(p => p.ItemId).Select(p => p.Id).ToArrayAsync();
    }

    /// <summary>Stored synthetic items, each with one pair: a winner box and a far loser box, both parsed.</summary>
    private async Task<(Guid Iteration, Guid PairSet, IReadOnlyList<Item> Items)> SeedPairSetAsync(int itemCount)
    {
        var name = $"pairs-{Guid.NewGuid():N}"[..20];
        await new SyntheticDatasetWriter(_storage).WriteAsync(name, "rl", itemCount, SyntheticSplitSpec.Create(41, sceneSize: 224, minObjects: 4, maxObjects: 6));
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var items = await db.Items.AsNoTracking().Where(i => i.Split == "rl").OrderBy(i => i.Ordinal).ToListAsync();
        var now = DateTimeOffset.UtcNow;
        var run = new Run { Id = Guid.NewGuid(), Name = "r", Status = "running", CreatedAt = now, UpdatedAt = now };
        var iteration = new Iteration { Id = Guid.NewGuid(), RunId = run.Id, Number = 1, DatasetId = items[0].DatasetId, PolicyCheckpoint = "p",
            JudgeCheckpoint = "j", JudgeId = "j", State = "TrainingBox", CreatedAt = now, UpdatedAt = now };
        var pairSet = new PairSet { Id = Guid.NewGuid(), IterationId = iteration.Id, ItemCount = itemCount, PairCount = itemCount, CreatedAt = now };
        db.AddRange(run, iteration, pairSet);
        var candidates = items.SelectMany(item => new[]
        {
            new Candidate { IterationId = iteration.Id, ItemId = item.Id, Attempt = 0, Kind = "own", BoxText = "[0.2, 0.2, 0.5, 0.5]",
                X1 = .2f, Y1 = .2f, X2 = .5f, Y2 = .5f, Answer = item.StandardAnswer, CreatedAt = now },
            new Candidate { IterationId = iteration.Id, ItemId = item.Id, Attempt = 0, Kind = "diverse", BoxText = "[0.6, 0.6, 0.9, 0.9]",
                X1 = .6f, Y1 = .6f, X2 = .9f, Y2 = .9f, Answer = "no", CreatedAt = now },
        }).ToList();
        db.Candidates.AddRange(candidates);
        await db.SaveChangesAsync();
        db.Pairs.AddRange(items.Select((item, i) => new Pair { PairSetId = pairSet.Id, ItemId = item.Id, ChosenCandidateId = candidates[2 * i].Id, RejectedCandidateId = candidates[2 * i + 1].Id }));
        await db.SaveChangesAsync();
        return (iteration.Id, pairSet.Id, items);
    }
}
