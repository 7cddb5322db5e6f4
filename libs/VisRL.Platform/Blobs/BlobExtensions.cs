using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using VisRL.Platform.Configuration;
using VisRL.Platform.Hosting;

namespace VisRL.Platform.Blobs;

public static class BlobExtensions
{
    /// <summary>Azure Blob storage (Azurite locally) with the images, checkpoints and exports containers, private.</summary>
    public static IHostApplicationBuilder AddVisRLBlobs(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddVisRLSettings<BlobOptions>(builder.Configuration);
        services.AddSingleton(sp => CreateServiceClient(sp.GetRequiredService<IOptions<BlobOptions>>().Value));
        services.AddSingleton<IBlobStore, AzureBlobStore>();
        services.AddStartupDependency(sp => BlobEndpoint(sp.GetRequiredService<BlobServiceClient>()));
        services.AddHostedService<EnsureBlobContainers>();
        services.AddHealthChecks().AddCheck<BlobHealthCheck>("blobs", tags: ["ready"]);
        return builder;
    }

    public static BlobServiceClient CreateServiceClient(BlobOptions blobs, BlobClientOptions? clientOptions = null)
    {
        try
        {
            return new BlobServiceClient(blobs.ConnectionString, clientOptions ?? DefaultClientOptions(blobs));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new OptionsValidationException("Blobs", typeof(BlobOptions),
                [$"Setting {SettingKey.Describe("Blobs:ConnectionString")} is not a valid storage connection string: {e.Message}"]);
        }
    }

    /// <summary>
    /// Three tries of each request (the SDK's storage default is six), each cut off after Blobs:NetworkTimeoutSeconds
    /// of silence: a store that is away soon reaches the consume's outage handling, which says so and waits it out.
    /// </summary>
    private static BlobClientOptions DefaultClientOptions(BlobOptions blobs) =>
        new() { Retry = { MaxRetries = 2, NetworkTimeout = TimeSpan.FromSeconds(blobs.NetworkTimeoutSeconds) } };

    public static IBlobStore CreateStore(BlobOptions blobs, BlobClientOptions? clientOptions = null) =>
        new AzureBlobStore(CreateServiceClient(blobs, clientOptions), Options.Create(blobs));

    public static DependencyEndpoint BlobEndpoint(BlobServiceClient client) =>
        new("Blob storage", client.Uri.Host, client.Uri.Port, SettingKey.ToEnvironment("Blobs:ConnectionString"));

    private sealed class EnsureBlobContainers(IBlobStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => store.EnsureContainersAsync(cancellationToken);
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class BlobHealthCheck(BlobServiceClient client) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await client.GetPropertiesAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy($"Blob storage at {client.Uri}: {e.Message}", e);
            }
        }
    }
}
