using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Data.Synthetic;
using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Training;

namespace VisRL.Integration.Tests;

/// <summary>
/// The Trainer service as a process whose PostgreSQL and Azurite connections run through relays the
/// test cuts: a job waits each outage out and ends at its planned steps, and a job that cannot run
/// at all leaves a failed row with the reason.
/// </summary>
[Collection(StackCollection.Name)]
public class TrainerOutageTests(TestStack stack) : IAsyncLifetime
{
    private const int SftSteps = 150;
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), $"visrl-outage-{Guid.NewGuid():N}");
    private readonly string _prefix = $"outage{Guid.NewGuid().ToString("N")[..8]}-";
    private DatabaseOptions _database = null!;
    private string _base = null!;

    public async Task InitializeAsync()
    {
        _database = await TestStack.CreateMigratedDatabaseAsync();
        var storage = DatasetStorage.Create(_database, stack.Blobs);
        await new SyntheticDatasetWriter(storage).WriteAsync("outage-ds", "sft", 8, SyntheticSplitSpec.Create(7, sceneSize: 224, minObjects: 4, maxObjects: 6));
        var folder = Path.Combine(_scratch, "base");
        using (var model = VisRLTiny.Create(TinyModel.Config, seed: 5)) _base = ModelCheckpoint.Save(model, folder);
        await new CheckpointStore(new VisRLDbContextFactory(_database), storage.Blobs, stack.Blobs.CheckpointsContainer).PublishAsync(folder, _base, "base", 0);
    }

    public Task DisposeAsync()
    {
        try { if (Directory.Exists(_scratch)) Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AJobWaitsOutBlobStorageAndDatabaseOutagesAndEndsAtItsPlannedSteps_AndAJobThatCannotRunLeavesAFailedRow()
    {
        using var postgres = new TcpRelay(TestStack.PostgresPort);
        using var azurite = new TcpRelay(TestStack.AzuritePort);
        using var fleet = new ServiceFleet(stack, _database, _prefix, _scratch);
        var environment = fleet.Environment("trainer");
        environment["VISRL__DATABASE__CONNECTIONSTRING"] = _database.ConnectionString.Replace($"Port={TestStack.PostgresPort}", $"Port={postgres.Port}");
        environment["VISRL__DATABASE__MAXRETRYCOUNT"] = "0"; // EF's own retries off: every outage reaches the job at once
        environment["VISRL__BLOBS__CONNECTIONSTRING"] = stack.Blobs.ConnectionString.Replace($"127.0.0.1:{TestStack.AzuritePort}", $"127.0.0.1:{azurite.Port}");
        fleet.Start(ChildProcess.Dotnet(ChildProcess.ProjectDll("VisRL.Trainer", "VisRL.Trainer"), environment));
        await fleet.WaitForConsumersAsync(new Dictionary<string, int> { ["trainer-train-stage"] = 1 });

        // Blob storage is out of reach when the job starts: it cannot load its scenes, and its row says why it waits.
        azurite.Cut();
        var job = Guid.NewGuid();
        await SendAsync(Sft(job, _base[..12]));
        await ServiceFleet.WaitUntilAsync(async () =>
        {
            fleet.AssertAlive();
            var row = await JobAsync(job);
            Assert.NotEqual("failed", row?.Status);
            return row is { Status: "waiting" } && row.FailureReason!.StartsWith("blob storage: ");
        }, TimeSpan.FromSeconds(60), () => $"the job did not wait for blob storage\n{fleet.Output}");
        azurite.Restore();

        // PostgreSQL goes out of reach mid-job, for longer than a few pauses.
        int planned = 0, atCut = 0;
        await ServiceFleet.WaitUntilAsync(async () =>
        {
            fleet.AssertAlive();
            var row = await JobAsync(job);
            (planned, atCut) = (row?.PlannedSteps ?? 0, row?.CompletedSteps ?? 0);
            return row is { Status: "running" } && atCut >= 30; // past the first resumable checkpoint
        }, TimeSpan.FromSeconds(120), () => $"the job did not go on after blob storage came back\n{fleet.Output}");
        postgres.Cut();
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.True(atCut < planned - 40, $"the cut came at step {atCut} of {planned}: the test proves nothing");
        fleet.AssertAlive();
        postgres.Restore();

        await ServiceFleet.WaitUntilAsync(async () =>
        {
            fleet.AssertAlive();
            var row = await JobAsync(job);
            Assert.NotEqual("failed", row?.Status);
            return row?.Status == "completed";
        }, TimeSpan.FromSeconds(180), () => $"the job did not end\n{fleet.Output}");
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(_database))
        {
            var row = await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == job);
            Assert.Equal((planned, (string?)null), (row.CompletedSteps, row.FailureReason));
            var checkpoint = await db.Checkpoints.AsNoTracking().SingleAsync(c => c.TrainingJobId == job && c.Stage == "sft");
            Assert.Equal(planned, checkpoint.Step);
            // Every step's loss once, the steps the job went through again after the outage included.
            Assert.Equal(Enumerable.Range(planned - SftSteps + 1, SftSteps), await db.TrainingMetrics.AsNoTracking()
                .Where(m => m.TrainingJobId == job && m.Name == "sft/loss").OrderBy(m => m.Step).Select(m => m.Step).ToListAsync());
        }
        Assert.Contains("waits for blob storage", fleet.Output);
        Assert.Contains("waits for PostgreSQL", fleet.Output);
        // An outage waited out reads as one warning per pause: EF Core's echoes of the failed connections and queries are
        // Debug lines (only a command the cut broke mid-way keeps its error line, which names its SQL).
        var errors = fleet.Output.Split('\n').Where(l => l.Contains(" ERR] ")).ToList();
        Assert.All(errors, l => Assert.Contains("Microsoft.EntityFrameworkCore.Database.Command: Failed executing DbCommand", l));

        // A job that cannot run (its start checkpoint does not exist) fails before it starts, and still leaves its row.
        var doomed = Guid.NewGuid();
        await SendAsync(Sft(doomed, "0123456789ab"));
        await ServiceFleet.WaitUntilAsync(async () => (await JobAsync(doomed))?.Status == "failed", TimeSpan.FromSeconds(60),
            () => $"the doomed job left no failed row\n{fleet.Output}");
        var failed = (await JobAsync(doomed))!;
        Assert.Equal(("sft", "0123456789ab"), (failed.Stage, failed.StartCheckpoint));
        Assert.Contains("0123456789ab", failed.FailureReason);
    }

    /// <summary>
    /// The broker out of reach from the Trainer mid-job, until after the job has trained its last step: the job
    /// is not the broker's casualty (before, its progress reports blocked the steps and the lost connection
    /// cancelled it). It ends completed, its CheckpointReady goes out once the broker is back, and the Trainer
    /// takes the next job (before Announcements and BusWatchdog, one run in five to ten ended without one or the other).
    /// </summary>
    [Fact]
    public async Task AJobTrainsThroughABrokerOutage_AndAnnouncesItsCheckpointOnceTheBrokerIsBack()
    {
        using var rabbit = new TcpRelay(TestStack.RabbitPort);
        var (fleet, watcher, job) = await StartJobBehindARelayAsync(rabbit, steps: 400, selfCheckSeconds: 10);
        using var _ = fleet;
        using var __ = watcher;
        rabbit.Cut();
        var outage = System.Diagnostics.Stopwatch.StartNew();
        var atCut = (await JobAsync(job))!;
        Assert.True(atCut.Status == "running" && atCut.CompletedSteps < atCut.PlannedSteps - 40, $"the cut came at step {atCut.CompletedSteps} of {atCut.PlannedSteps}: the test proves nothing");
        await ServiceFleet.WaitUntilAsync(async () => (await JobAsync(job))?.Status is "completed" or "failed", TimeSpan.FromSeconds(120),
            () => $"the job did not end while the broker was out of reach\n{fleet.Output}");
        // Out of reach for longer than Messaging:LinkLossGraceSeconds (10 s), so that the Trainer tries to reconnect meanwhile.
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(2, 15 - outage.Elapsed.TotalSeconds)));
        var atRestore = (await JobAsync(job))!;
        rabbit.Restore();

        await ServiceFleet.WaitUntilAsync(() => Task.FromResult(TrainingWatcher.Heard.Any(m => m is CheckpointReady r && r.JobId == job)),
            TimeSpan.FromSeconds(90), () => $"no CheckpointReady after the broker came back\n{fleet.Output}");
        // And the Trainer takes new work: its queue's consumer came back with the broker.
        var next = Guid.NewGuid();
        await SendAsync(Sft(next, _base[..12], steps: 10));
        await ServiceFleet.WaitUntilAsync(() => Task.FromResult(TrainingWatcher.Heard.Any(m => m is CheckpointReady r && r.JobId == next)),
            // Long enough for the bus restart that mends a connection whose end MassTransit never heard of (BusWatchdog).
            TimeSpan.FromSeconds(180), () => $"the Trainer took no new job after the outage\n{fleet.Output}");
        await watcher.StopAsync();
        Assert.Equal(("completed", (string?)null), (atRestore.Status, atRestore.FailureReason));
        var done = (await JobAsync(job))!;
        Assert.Equal(("completed", (string?)null, done.PlannedSteps), (done.Status, done.FailureReason, done.CompletedSteps));
        Assert.DoesNotContain(TrainingWatcher.Heard, m => m is TrainingFailed f && f.JobId == job);
        // Each attempt to reach the broker reads as one line, not MassTransit's warning with the same stack each time.
        Assert.Contains($"Connection Failed: rabbitmq://127.0.0.1:{rabbit.Port}/ (Connection refused)", fleet.Output);
        Assert.DoesNotContain("BrokerUnreachableException", fleet.Output);
    }

    /// <summary>
    /// Two Trainer replicas. The one training a job loses the broker, which hands the job's command to the other:
    /// that one waits for the job (its lease, a PostgreSQL advisory lock) instead of training it a second time beside
    /// the first, then finds it done and announces its checkpoint.
    /// </summary>
    [Fact]
    public async Task AJobHandedToASecondReplicaWhileTheFirstStillTrainsItIsNotTrainedTwice()
    {
        using var rabbit = new TcpRelay(TestStack.RabbitPort);
        var (fleet, watcher, job) = await StartJobBehindARelayAsync(rabbit, steps: 2500);
        using var _ = fleet;
        using var __ = watcher;
        fleet.BrokerPort = TestStack.RabbitPort;
        var second = fleet.Start("trainer");
        await fleet.WaitForConsumersAsync(new Dictionary<string, int> { ["trainer-train-stage"] = 2 });
        rabbit.Cut(); // the broker requeues the first replica's unacknowledged command for the second

        await ServiceFleet.WaitUntilAsync(() => Task.FromResult(second.Output.Contains($"job {job} is running elsewhere")), TimeSpan.FromSeconds(60),
            () => $"the second replica did not wait for the job\n{fleet.Output}");
        var whenHanded = (await JobAsync(job))!;
        Assert.True(whenHanded.Status == "running" && whenHanded.CompletedSteps < whenHanded.PlannedSteps - 100,
            $"the job was at step {whenHanded.CompletedSteps} of {whenHanded.PlannedSteps} when handed over: the test proves nothing");
        await ServiceFleet.WaitUntilAsync(() => Task.FromResult(TrainingWatcher.Heard.Any(m => m is CheckpointReady r && r.JobId == job)),
            TimeSpan.FromSeconds(120), () => $"no CheckpointReady\n{fleet.Output}");
        await watcher.StopAsync();

        var done = (await JobAsync(job))!;
        Assert.Equal(("completed", done.PlannedSteps), (done.Status, done.CompletedSteps));
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        Assert.False(await db.TrainingMetrics.AnyAsync(m => m.TrainingJobId == job && m.Name == "resumed_from_step"), "the second replica trained the job again");
        Assert.Equal(1, await db.Checkpoints.CountAsync(c => c.TrainingJobId == job && c.Stage == "sft"));
    }

    /// <summary>A Trainer that reaches RabbitMQ through <paramref name="rabbit"/>, a started watcher of its announcements, and an SFT job of its own 30 steps in.</summary>
    private async Task<(ServiceFleet Fleet, IHost Watcher, Guid Job)> StartJobBehindARelayAsync(TcpRelay rabbit, int steps, int? selfCheckSeconds = null)
    {
        var fleet = new ServiceFleet(stack, _database, _prefix, _scratch) { BrokerPort = rabbit.Port };
        fleet.Start("trainer", selfCheckSeconds is { } s ? new Dictionary<string, string> { ["VISRL__MESSAGING__SELFCHECKSECONDS"] = $"{s}" } : null);
        await fleet.WaitForConsumersAsync(new Dictionary<string, int> { ["trainer-train-stage"] = 1 });
        var watching = TestStack.ServiceHost($"outage-watch-{Guid.NewGuid().ToString()[..8]}");
        watching.AddVisRLMessaging(bus => bus.AddConsumer<TrainingWatcher>());
        var watcher = watching.Build();
        await watcher.StartAsync();
        var job = Guid.NewGuid();
        await SendAsync(Sft(job, _base[..12], steps));
        await ServiceFleet.WaitUntilAsync(async () => (await JobAsync(job))?.CompletedSteps >= 30, TimeSpan.FromSeconds(120), () => $"the job did not get going\n{fleet.Output}");
        return (fleet, watcher, job);
    }

    public sealed class TrainingWatcher : IConsumer<CheckpointReady>, IConsumer<TrainingFailed>
    {
        public static readonly System.Collections.Concurrent.ConcurrentBag<object> Heard = [];
        public Task Consume(ConsumeContext<CheckpointReady> context) { Heard.Add(context.Message); return Task.CompletedTask; }
        public Task Consume(ConsumeContext<TrainingFailed> context) { Heard.Add(context.Message); return Task.CompletedTask; }
    }

    /// <summary>`visrl train` runs a job in-process, and waits an outage out as the Trainer does.</summary>
    [Fact]
    public async Task VisrlTrainWaitsOutABlobStorageOutageAndEndsAtItsPlannedSteps()
    {
        using var azurite = new TcpRelay(TestStack.AzuritePort);
        var config = Path.Combine(_scratch, "experiment.json");
        Directory.CreateDirectory(_scratch);
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(Options(sftSteps: 20), JsonSerializerOptions.Web));
        var environment = new Dictionary<string, string>
        {
            ["VISRL_STACK_DIR"] = Path.Combine(_scratch, "no-stack"), // the settings below are all there is
            ["VISRL__DATABASE__CONNECTIONSTRING"] = _database.ConnectionString,
            ["VISRL__BLOBS__CONNECTIONSTRING"] = stack.Blobs.ConnectionString.Replace($"127.0.0.1:{TestStack.AzuritePort}", $"127.0.0.1:{azurite.Port}"),
        };
        var job = Guid.NewGuid();
        azurite.Cut();
        using var cli = ChildProcess.Start(ChildProcess.Dotnet(ChildProcess.ProjectDll("VisRL.Cli", "visrl"), environment,
            "train", "sft", "--dataset", "outage-ds", "--from", _base[..12], "--config", config, "--job", job.ToString(), "--threads", "1"));
        await ServiceFleet.WaitUntilAsync(async () =>
        {
            Assert.False(cli.Process.HasExited, $"visrl train ended while blob storage was out of reach:\n{cli.Output}");
            return await JobAsync(job) is { Status: "waiting" } row && row.FailureReason!.StartsWith("blob storage: ");
        }, TimeSpan.FromSeconds(60), () => $"the job did not wait for blob storage\n{cli.Output}");
        azurite.Restore();

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120))) await cli.Process.WaitForExitAsync(timeout.Token);
        cli.Process.WaitForExit(); // and its output read to the end
        Assert.True(cli.Process.ExitCode == 0, cli.Output);
        Assert.Contains($"sft job {job} waits for blob storage: ", cli.Output);
        var done = (await JobAsync(job))!;
        Assert.Equal(("completed", (string?)null), (done.Status, done.FailureReason));
        Assert.Equal(done.PlannedSteps, done.CompletedSteps);
    }

    private static ExperimentOptions Options(int sftSteps) => new()
    {
        Model = TinyModel.Config,
        Focus = new TrainerConfig { Steps = 2, BatchSize = 2, LogEvery = 1 },
        Sft = new TrainerConfig { Steps = sftSteps, BatchSize = 2, LogEvery = 1, CheckpointEvery = 25 },
    };

    private TrainStage Sft(Guid job, string start, int steps = SftSteps) => new(job, Guid.NewGuid(), null, TrainingStage.Sft, start, null, JsonSerializer.Serialize(
        new SupervisedStageSettings("outage-ds", "sft", Options: Options(steps)), JsonSerializerOptions.Web));

    private async Task SendAsync(TrainStage stage)
    {
        var builder = TestStack.ServiceHost("outage-test");
        builder.AddVisRLMessaging();
        using var host = builder.Build();
        await host.StartAsync();
        var endpoint = await host.Services.GetRequiredService<IBus>().GetSendEndpoint(new Uri($"queue:{_prefix}trainer-train-stage"));
        await endpoint.Send(stage);
        await host.StopAsync();
    }

    private async Task<VisRL.Platform.Persistence.Entities.TrainingJob?> JobAsync(Guid job)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        return await db.TrainingJobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == job);
    }
}
