using Microsoft.EntityFrameworkCore;
using VisRL.Data;
using VisRL.Platform.Blobs;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;
using VisRL.Platform.Training;

namespace VisRL.Cli.Infrastructure;

/// <summary>The stores CLI commands use, built from the CLI's settings.</summary>
internal sealed class CliStores
{
    public DatasetStorage Datasets { get; }
    public CheckpointStore Checkpoints { get; }
    public TrainingJournal Journal { get; }
    /// <summary>How long a job waits out one outage of PostgreSQL or blob storage (Messaging:OutagePatienceSeconds, as the services).</summary>
    public TimeSpan OutagePatience { get; }

    /// <summary>
    /// Local working folder for checkpoints being trained or fetched: .visrl/work (git-ignored) in a
    /// checkout, the temp folder in the Docker image (where `serve` fetches its checkpoint).
    /// </summary>
    public string WorkFolder { get; } = WorkFolderOf(Repository.RootOrNull);

    internal static string WorkFolderOf(string? repositoryRoot) =>
        repositoryRoot is null ? Path.Combine(Path.GetTempPath(), "visrl-work") : Path.Combine(repositoryRoot, ".visrl", "work");

    public CliStores()
    {
        var settings = CliSettings.Load();
        var database = settings.GetVisRLSettings<DatabaseOptions>();
        var blobs = settings.GetVisRLSettings<BlobOptions>();
        Datasets = DatasetStorage.Create(database, blobs);
        var contexts = new VisRLDbContextFactory(database);
        Checkpoints = new CheckpointStore(contexts, Datasets.Blobs, blobs.CheckpointsContainer);
        Journal = new TrainingJournal(contexts);
        OutagePatience = TimeSpan.FromSeconds(settings.GetVisRLSettings<MessagingOptions>().OutagePatienceSeconds);
    }
}
