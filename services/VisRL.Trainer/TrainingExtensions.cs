using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using VisRL.Data;
using VisRL.DataGeneration;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;
using VisRL.Platform.Training;
using VisRL.Training;

namespace VisRL.Trainer;

public static class TrainingExtensions
{
    /// <summary>The training journal, the stage runner and the evaluator (after AddVisRLModels), on Torch:Device.</summary>
    public static IHostApplicationBuilder AddVisRLTraining(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(sp => new TrainingJournal(sp.GetRequiredService<IDbContextFactory<VisRLDbContext>>()));
        services.AddSingleton(sp => new TrainStageRunner(sp.GetRequiredService<DatasetStorage>(), sp.GetRequiredService<CheckpointStore>(),
            sp.GetRequiredService<TrainingJournal>(), WorkFolder(sp), Device(sp)));
        services.AddSingleton(sp => new ModelEvaluation(sp.GetRequiredService<DatasetStorage>(), sp.GetRequiredService<CheckpointStore>(), Device(sp)));
        return builder;
    }

    /// <summary>Jobs work beside the model cache (Models:CacheFolder), so fetched checkpoints are shared.</summary>
    public static string WorkFolder(IServiceProvider services) =>
        Path.Combine(services.GetRequiredService<IOptions<ModelOptions>>().Value.CacheFolder, "training");

    private static VisRL.Torch.Device Device(IServiceProvider services) =>
        DataGenerationExtensions.DeviceOf(services.GetRequiredService<IOptions<TorchOptions>>().Value);
}
