using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Blobs;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;
using VisRL.Platform.Training;

namespace VisRL.Integration.Tests;

/// <summary>Checkpoints in real Azurite + PostgreSQL, and training metrics that survive a replay.</summary>
[Collection(StackCollection.Name)]
public class CheckpointStoreTests(TestStack stack) : IAsyncLifetime
{
    private DatabaseOptions _database = null!;

    public async Task InitializeAsync()
    {
        _database = await TestStack.CreateMigratedDatabaseAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private CheckpointStore Store()
    {
        var blobs = BlobExtensions.CreateStore(stack.Blobs);
        blobs.EnsureContainersAsync().GetAwaiter().GetResult();
        return new CheckpointStore(new VisRLDbContextFactory(_database), blobs, "checkpoints");
    }

    private static (string Folder, string Hash) MakeFolder()
    {
        var folder = Directory.CreateTempSubdirectory("visrl-ckpt-").FullName;
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), RandomNumberGenerator.GetBytes(50_000));
        File.WriteAllText(Path.Combine(folder, "config.json"), "{\"d\":64}");
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), "{}");
        var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, "model.safetensors"))));
        return (folder, hash);
    }

    [Fact]
    public async Task PublishIsIdempotentAndFetchRestoresTheFolderIntoAHashNamedCache()
    {
        var store = Store();
        var (folder, hash) = MakeFolder();
        var first = await store.PublishAsync(folder, hash, "sft", step: 120);
        var again = await store.PublishAsync(folder, hash, "sft", step: 120);
        Assert.Equal(first.Id, again.Id);
        Assert.Equal(first, await store.ResolveAsync(hash[..10]));
        Assert.Equal(first, await store.ResolveAsync(first.Id.ToString()));
        Assert.Equal(first, await store.LatestAsync("sft"));

        var cache = Directory.CreateTempSubdirectory("visrl-cache-").FullName;
        var fetched = await store.FetchAsync(first, cache);
        Assert.Equal(Path.Combine(cache, hash), fetched);
        foreach (var file in Directory.GetFiles(folder))
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(fetched, Path.GetFileName(file))));
        Assert.Empty(Directory.GetDirectories(cache, "*.partial-*"));

        // A second fetch is served from the cache: it works even with the blobs gone.
        var service = BlobExtensions.CreateServiceClient(stack.Blobs).GetBlobContainerClient("checkpoints");
        await foreach (var blob in service.GetBlobsAsync(prefix: first.BlobPrefix)) await service.DeleteBlobAsync(blob.Name);
        Assert.Equal(fetched, await store.FetchAsync(first, cache));

        // Into a cache without it, the gone files are named, and nothing is cached under the hash: once the files
        // are back (published again), the same cache fetches them.
        var fresh = Directory.CreateTempSubdirectory("visrl-cache-").FullName;
        var gone = await Assert.ThrowsAsync<InvalidDataException>(() => store.FetchAsync(first, fresh));
        Assert.Contains($"checkpoint {hash[..12]} (sft, step 120) has no files in blob storage under checkpoints/{first.BlobPrefix}", gone.Message);
        Assert.Empty(Directory.GetFileSystemEntries(fresh));
        await store.PublishAsync(folder, hash, "sft", step: 120);
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "model.safetensors")),
            File.ReadAllBytes(Path.Combine(await store.FetchAsync(first, fresh), "model.safetensors")));
    }

    [Fact]
    public async Task BadReferencesAreNamed()
    {
        var store = Store();
        Assert.Contains("no checkpoint matches 'deadbeef00'", (await Assert.ThrowsAsync<KeyNotFoundException>(() => store.ResolveAsync("deadbeef00"))).Message);
        Assert.Contains("8+ characters", (await Assert.ThrowsAsync<ArgumentException>(() => store.ResolveAsync("abc"))).Message);
        var (folder, _) = MakeFolder();
        Assert.Contains("not a SHA-256", (await Assert.ThrowsAsync<ArgumentException>(() => store.PublishAsync(folder, "xyz", "sft", 0))).Message);
    }

    [Fact]
    public async Task MetricsReplayedAfterAResumeAreWrittenOnce_AndTheJobRecordsWhereItLastRan()
    {
        var journal = new TrainingJournal(new VisRLDbContextFactory(_database));
        var job = Guid.NewGuid();
        await journal.StartAsync(job, "sft", "{\"lr\":0.001}", plannedSteps: 20, machineJson: "{\"host\":\"a\"}");
        await journal.RecordAsync(job, 10, new Dictionary<string, double> { ["loss"] = 1.5, ["lr"] = 1e-3 });
        await journal.StartAsync(job, "sft", "{\"lr\":0.001}", plannedSteps: 20, machineJson: "{\"host\":\"b\"}"); // resumed after a crash, elsewhere
        await journal.RecordAsync(job, 10, new Dictionary<string, double> { ["loss"] = 1.5, ["lr"] = 1e-3 });
        await journal.RecordAsync(job, 20, new Dictionary<string, double> { ["loss"] = 0.9 });
        await journal.FinishAsync(job);

        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        Assert.Equal(3, await db.TrainingMetrics.CountAsync(m => m.TrainingJobId == job));
        var row = await db.TrainingJobs.SingleAsync(j => j.Id == job);
        Assert.Equal(("completed", 20), (row.Status, row.CompletedSteps));
        Assert.Equal("b", JsonDocument.Parse(row.MachineJson).RootElement.GetProperty("host").GetString()); // where it ran last
        await Assert.ThrowsAsync<ArgumentException>(() => journal.RecordAsync(job, 21, new Dictionary<string, double> { ["loss"] = double.NaN }));
    }
}
