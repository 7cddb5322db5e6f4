using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using VisRL.Platform.Blobs;
using VisRL.Platform.Configuration;
using VisRL.Platform.Messaging;

namespace VisRL.Integration.Tests;

/// <summary>Blobs through the real Azurite: content hashes recorded on write and checked on read.</summary>
[Collection(StackCollection.Name)]
public class BlobStoreTests(TestStack stack)
{
    private IBlobStore Store => BlobExtensions.CreateStore(stack.Blobs);

    [Fact]
    public async Task ABlobRoundTripsWithItsContentHashChecked()
    {
        var store = Store;
        await store.EnsureContainersAsync();
        var content = RandomNumberGenerator.GetBytes(300_000);
        var written = await store.PutAsync("checkpoints", $"test/{Guid.NewGuid():N}.safetensors", content, "application/octet-stream");

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), written.Sha256);
        Assert.Equal(content, await store.GetAsync(written.Container, written.Key));

        var file = Path.GetTempFileName();
        try
        {
            await store.DownloadToFileAsync(written.Container, written.Key, file);
            Assert.Equal(written.Sha256, await ContentHash.OfFileAsync(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task AStoreThatGoesSilentFailsAReadAsAnOutage_AfterItsTriesEachWaitedTheNetworkTimeout()
    {
        using var azurite = new TcpRelay(TestStack.AzuritePort);
        var store = StoreBehind(azurite);
        var written = await store.PutAsync("checkpoints", $"test/{Guid.NewGuid():N}.bin", new byte[100], "application/octet-stream");

        azurite.Freeze();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var silence = await Assert.ThrowsAnyAsync<Exception>(() => store.GetAsync(written.Container, written.Key));
        clock.Stop();
        azurite.Restore();

        Assert.StartsWith("blob storage: The operation was cancelled because it exceeded the configured timeout", Outages.Reason(silence));
        Assert.InRange(clock.Elapsed.TotalSeconds, 3, 20); // three tries of 1 s and the SDK's pauses between them, not six of 100 s
        Assert.Equal(100, (await store.GetAsync(written.Container, written.Key)).Length); // back once the network is
    }

    [Fact]
    public async Task ASlowButMovingLinkCarriesBlobsThatTakeLongerThanTheNetworkTimeout()
    {
        // Blobs:NetworkTimeoutSeconds is for a store that says nothing, not for a big checkpoint on a slow link. The
        // timeout bounds each request as a whole, so a blob sent in one request was cut off on every try.
        using var azurite = new TcpRelay(TestStack.AzuritePort);
        var store = StoreBehind(azurite);
        var content = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, content);
            azurite.Throttle(512 * 1024); // per connection and direction: 4 s for the whole blob on one, 2 s on two

            var put = await TimedAsync(() => store.PutAsync("checkpoints", $"test/{Guid.NewGuid():N}.bin", content, "application/octet-stream"));
            var putFile = await TimedAsync(() => store.PutFileAsync("checkpoints", $"test/{Guid.NewGuid():N}.bin", file, "application/octet-stream"));
            var get = await TimedAsync(() => store.GetAsync(put.Result.Container, put.Result.Key));
            var download = await TimedAsync(async () =>
            {
                await store.DownloadToFileAsync(putFile.Result.Container, putFile.Result.Key, file);
                return await File.ReadAllBytesAsync(file);
            });

            Assert.Equal(content, get.Result);
            Assert.Equal(content, download.Result);
            foreach (var (what, seconds) in new[] { ("put", put.Seconds), ("put file", putFile.Seconds), ("get", get.Seconds), ("download", download.Seconds) })
                Assert.True(seconds > 1.5, $"{what} took {seconds:F1} s: not longer than the timeout, so the test proves nothing");
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A store that reaches Azurite through <paramref name="relay"/>, its requests cut off after 1 s of silence.</summary>
    private IBlobStore StoreBehind(TcpRelay relay) => BlobExtensions.CreateStore(new BlobOptions
    {
        ConnectionString = stack.Blobs.ConnectionString.Replace($":{TestStack.AzuritePort}/", $":{relay.Port}/", StringComparison.Ordinal),
        NetworkTimeoutSeconds = 1,
    });

    private static async Task<(T Result, double Seconds)> TimedAsync<T>(Func<Task<T>> work)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await work();
        return (result, clock.Elapsed.TotalSeconds);
    }

    [Fact]
    public async Task ADamagedBlobIsAnErrorNamingItAndBothHashes()
    {
        var store = Store;
        await store.EnsureContainersAsync();
        var written = await store.PutAsync("images", $"test/{Guid.NewGuid():N}.png", RandomNumberGenerator.GetBytes(1000), "image/png");

        // Rewrite the bytes behind the store's back, keeping the recorded hash.
        var blob = BlobExtensions.CreateServiceClient(stack.Blobs).GetBlobContainerClient(written.Container).GetBlobClient(written.Key);
        var metadata = (await blob.GetPropertiesAsync()).Value.Metadata;
        await blob.UploadAsync(BinaryData.FromBytes(RandomNumberGenerator.GetBytes(1000)), new BlobUploadOptions { Metadata = metadata });

        var error = await Assert.ThrowsAsync<BlobIntegrityException>(() => store.GetAsync(written.Container, written.Key));
        Assert.Contains($"images/{written.Key}", error.Message);
        Assert.Contains(written.Sha256, error.Message);
    }

    [Fact]
    public async Task AMissingBlobIsAnErrorNamingIt()
    {
        var error = await Assert.ThrowsAsync<BlobMissingException>(() => Store.GetAsync("images", "no/such/blob.png"));
        Assert.Contains("images/no/such/blob.png", error.Message);
    }

    [Fact]
    public async Task ContainersArePrivate()
    {
        await Store.EnsureContainersAsync();
        var service = BlobExtensions.CreateServiceClient(stack.Blobs);
        foreach (var name in new[] { "images", "checkpoints", "exports" })
        {
            var policy = await service.GetBlobContainerClient(name).GetAccessPolicyAsync();
            Assert.Equal(PublicAccessType.None, policy.Value.BlobPublicAccess);
        }
    }
}
