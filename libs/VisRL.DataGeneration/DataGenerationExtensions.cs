using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using VisRL.Data;
using VisRL.DataGeneration.Backends;
using VisRL.Platform.Blobs;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;
using VisRL.Torch;

namespace VisRL.DataGeneration;

public static class DataGenerationExtensions
{
    /// <summary>
    /// What a model-running service needs (after AddVisRLService): the Models settings, the checkpoint
    /// store, the model cache, the model backends (in-process or HTTP), dataset storage, and
    /// Torch:Threads and Torch:Tf32 applied to libtorch.
    /// </summary>
    public static IHostApplicationBuilder AddVisRLModels(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddVisRLSettings<ModelOptions>(builder.Configuration);
        services.AddSingleton(sp => new CheckpointStore(sp.GetRequiredService<IDbContextFactory<VisRLDbContext>>(), sp.GetRequiredService<IBlobStore>(),
            sp.GetRequiredService<IOptions<BlobOptions>>().Value.CheckpointsContainer));
        services.AddSingleton(sp =>
        {
            var models = sp.GetRequiredService<IOptions<ModelOptions>>().Value;
            return new ModelCache(sp.GetRequiredService<CheckpointStore>(), models.CacheFolder, models.Keep, DeviceOf(sp.GetRequiredService<IOptions<TorchOptions>>().Value));
        });
        services.AddSingleton(sp =>
        {
            var contexts = sp.GetRequiredService<IDbContextFactory<VisRLDbContext>>();
            var blobs = sp.GetRequiredService<IOptions<BlobOptions>>().Value;
            return new DatasetStorage(contexts.CreateDbContext, sp.GetRequiredService<IBlobStore>(), blobs.ImagesContainer, blobs.ExportsContainer);
        });
        // One HTTP client per process for every endpoint (pooled connections); timeouts are per try, in ChatClient.
        services.AddSingleton(sp => new ModelBackends(sp.GetRequiredService<ModelCache>(),
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan }));
        var torch = builder.Configuration.GetVisRLSettings<TorchOptions>();
        if (torch.Threads > 0) TorchRuntime.SetNumThreads(torch.Threads);
        TorchRuntime.CudnnAllowTf32 = torch.Tf32;
        return builder;
    }

    /// <summary>Torch:Device: auto → the first GPU when libtorch sees one, else the CPU.</summary>
    public static Device DeviceOf(TorchOptions torch) =>
        torch.Device == "auto" ? (TorchRuntime.CudaAvailable ? Device.CUDA(0) : Device.CPU) : Device.Parse(torch.Device);
}
