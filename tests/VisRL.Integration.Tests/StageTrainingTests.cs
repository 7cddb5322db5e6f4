using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using VisRL.Data;
using VisRL.Data.Synthetic;
using VisRL.Imaging.Synthetic;
using VisRL.Modeling;
using VisRL.Platform.Blobs;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;
using VisRL.Platform.Training;
using VisRL.Torch;
using VisRL.Training;

namespace VisRL.Integration.Tests;

/// <summary>Base and SFT training and evaluation on a stored dataset, with checkpoints in Azurite and metrics in PostgreSQL.</summary>
[Collection(StackCollection.Name)]
public class StageTrainingTests(TestStack stack) : IAsyncLifetime
{
    private DatabaseOptions _database = null!;
    private DatasetStorage _storage = null!;
    private readonly string _work = Path.Combine(Path.GetTempPath(), $"visrl-train-{Guid.NewGuid():N}");

    private static readonly ExperimentOptions Tiny = new()
    {
        Model = TinyModel.Config,
        Vision = new TrainerConfig { Steps = 4, BatchSize = 4, LogEvery = 1 },
        BaseReading = new TrainerConfig { Steps = 4, BatchSize = 4, LogEvery = 1, CheckpointEvery = 2 },
        Base = new TrainerConfig { Steps = 4, BatchSize = 4, LogEvery = 1, CheckpointEvery = 2 },
        Focus = new TrainerConfig { Steps = 4, BatchSize = 4, LogEvery = 1 },
        Sft = new TrainerConfig { Steps = 4, BatchSize = 4, LogEvery = 1, CheckpointEvery = 2 },
    };

    public async Task InitializeAsync()
    {
        _database = await TestStack.CreateMigratedDatabaseAsync();
        _storage = DatasetStorage.Create(_database, stack.Blobs);
        await new SyntheticDatasetWriter(_storage).WriteAsync("train-ds", "sft", 8, SyntheticSplitSpec.Create(5, sceneSize: 224, minObjects: 4, maxObjects: 6));
        await new SyntheticDatasetWriter(_storage).WriteAsync("train-ds", "test", 6, SyntheticSplitSpec.Create(6, sceneSize: 224, minObjects: 4, maxObjects: 6));
    }

    public Task DisposeAsync()
    {
        if (Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
        return Task.CompletedTask;
    }

    private StageTraining Training(out CheckpointStore checkpoints)
    {
        var contexts = new VisRLDbContextFactory(_database);
        checkpoints = new CheckpointStore(contexts, _storage.Blobs, stack.Blobs.CheckpointsContainer);
        return new StageTraining(_storage, checkpoints, new TrainingJournal(contexts));
    }

    private StageRequest Request(TrainingStageKind stage, Guid job, string? from = null, ExperimentOptions? options = null) =>
        new(stage, "train-ds", "sft", null, from, job, options ?? Tiny, _work);

    [Fact]
    public async Task BaseThenSftPublishCheckpointsAndMetrics_AndEvaluationIsStored()
    {
        var training = Training(out var checkpoints);
        var (baseJob, sftJob) = (Guid.NewGuid(), Guid.NewGuid());
        var baseCheckpoint = await training.RunAsync(Request(TrainingStageKind.Base, baseJob));
        var sft = await training.RunAsync(Request(TrainingStageKind.Sft, sftJob));

        Assert.Equal(("base", 12), (baseCheckpoint.Stage, baseCheckpoint.Step)); // vision 4 + reading 4 + view mix 4
        Assert.Equal(("sft", 8), (sft.Stage, sft.Step)); // focus 4 + SFT 4
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var sftRow = await db.Checkpoints.AsNoTracking().SingleAsync(c => c.Id == sft.Id);
        Assert.Equal(baseCheckpoint.Id, sftRow.ParentId); // SFT starts from the latest base checkpoint
        Assert.Equal(12 * 4, await db.TrainingMetrics.CountAsync(m => m.TrainingJobId == baseJob)); // 12 steps × 4 metrics
        // The focus stage ran and reported its accuracy at every step.
        Assert.Equal(4, await db.TrainingMetrics.CountAsync(m => m.TrainingJobId == sftJob && m.Name == "focus/top1"));
        Assert.Equal(0, await db.TrainingMetrics.CountAsync(m => m.TrainingJobId == sftJob && m.Name == "sft/focus_loss")); // plain SFT
        var baseRow = await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == baseJob);
        Assert.Equal(("completed", 12), (baseRow.Status, baseRow.CompletedSteps));

        // The row left waiting on an outage that came after the checkpoint was published, and before the row said so:
        // the command, redelivered, trains nothing and ends the row completed.
        await db.TrainingJobs.Where(j => j.Id == sftJob).ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, "waiting").SetProperty(j => j.FailureReason, "PostgreSQL: out of reach"));
        var again = await new TrainStageRunner(_storage, checkpoints, new TrainingJournal(new VisRLDbContextFactory(_database)), _work)
            .RunAsync(new Contracts.V1.TrainStage(sftJob, Guid.Empty, null, Contracts.V1.TrainingStage.Sft, "", null, "{\"dataset\":\"train-ds\"}"));
        Assert.Equal(sft.ContentHash, again.ContentHash);
        var sftJobRow = await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == sftJob);
        Assert.Equal(("completed", (string?)null, 8), (sftJobRow.Status, sftJobRow.FailureReason, sftJobRow.CompletedSteps));
        // Each job records the machine it ran on: its kernels decide the last digits of every step.
        var machine = JsonSerializer.Deserialize<TrainingMachine>(baseRow.MachineJson, JsonSerializerOptions.Web)!;
        Assert.Equal((TorchRuntime.LibtorchVersion, TorchRuntime.NumThreads, TorchRuntime.BlasCoreName, "cpu", Environment.ProcessorCount),
            (machine.Libtorch, machine.TorchThreads, machine.BlasCore, machine.Device, machine.LogicalCpus));
        Assert.False(string.IsNullOrEmpty(machine.Cpu));
        Assert.Equal(machine.ToJson(), JsonSerializer.Serialize(JsonSerializer.Deserialize<TrainingMachine>(
            (await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == sftJob)).MachineJson, JsonSerializerOptions.Web), JsonSerializerOptions.Web));

        // The published checkpoint loads from blob storage (through a fresh cache).
        var folder = await checkpoints.FetchAsync(sft, Path.Combine(_work, "fresh-cache"));
        Assert.Equal(sft.ContentHash, ModelCheckpoint.Verify(folder));

        var reports = await new ModelEvaluation(_storage, checkpoints).RunAsync(sft.ContentHash[..12], "train-ds", "test", null,
            [Evaluator.Cot, Evaluator.NoCot], Path.Combine(_work, "cache"));
        Assert.Equal([Evaluator.Cot, Evaluator.NoCot], reports.Select(r => r.Mode));
        Assert.All(reports, r => Assert.Equal(6, r.Overall.Count));
        var rows = await db.Evaluations.AsNoTracking().Where(e => e.Checkpoint == sft.ContentHash).ToListAsync();
        Assert.Equal(2 * (1 + reports[0].Families.Count), rows.Count);
        Assert.All(rows.Where(r => r.Mode == Evaluator.Cot && r.Family == "all"), r => Assert.NotNull(r.DetectionAccuracy));
        // Each item's outcome is kept too, and they add up to the stored accuracies.
        foreach (var overall in rows.Where(r => r.Family == "all"))
        {
            var items = await db.EvaluationItems.AsNoTracking().Where(i => i.EvaluationRunId == overall.EvaluationRunId).OrderBy(i => i.Position).ToListAsync();
            Assert.Equal(Enumerable.Range(0, 6), items.Select(i => i.Position));
            Assert.Equal(overall.AnswerAccuracy, items.Count(i => i.AnswerCorrect) / 6.0, 12);
            Assert.Equal(overall.Mode == Evaluator.Cot, items.All(i => i.DetectionHit is not null));
            if (overall.DetectionAccuracy is { } detection) Assert.Equal(detection, items.Count(i => i.DetectionHit == true) / 6.0, 12);
        }
    }

    [Fact]
    public async Task AnAnchoredSftJobKeepsTheFocusLossOnAtEverySftStep()
    {
        var training = Training(out _);
        var (baseJob, sftJob) = (Guid.NewGuid(), Guid.NewGuid());
        var baseCheckpoint = await training.RunAsync(Request(TrainingStageKind.Base, baseJob));
        var sft = await training.RunAsync(Request(TrainingStageKind.Sft, sftJob, baseCheckpoint.ContentHash, Tiny with { SftFocusWeight = 1.0 }));

        Assert.Equal(("sft", 8), (sft.Stage, sft.Step));
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var focusLoss = await db.TrainingMetrics.Where(m => m.TrainingJobId == sftJob && m.Name == "sft/focus_loss").Select(m => m.Value).ToListAsync();
        Assert.Equal(4, focusLoss.Count); // the 4 SFT steps, after the focus stage's 4
        Assert.All(focusLoss, v => Assert.True(v > 0 && double.IsFinite(v)));
    }

    [Fact]
    public async Task StoredSyntheticScenesCarryTheObjectsTheirGeneratorMadeForTheFocusStage()
    {
        var scenes = await SceneLoader.LoadAsync(_storage, "train-ds", "sft", null, requireBoxes: true, CancellationToken.None);
        var generator = new SyntheticGenerator(SyntheticSplitSpec.Create(5, sceneSize: 224, minObjects: 4, maxObjects: 6).Options, 5);
        Assert.Equal(8, scenes.Count);
        for (int i = 0; i < scenes.Count; i++) Assert.Equal(generator.Generate(i).Objects, scenes[i].Objects);
    }

    [Fact]
    public async Task AnInterruptedJobResumesFromItsLastCheckpointToThePlannedSteps()
    {
        var training = Training(out _);
        var job = Guid.NewGuid();
        using var crash = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => training.RunAsync(Request(TrainingStageKind.Base, job),
            m => { if (m.Phase == "base" && m.Step == 3) crash.Cancel(); }, crash.Token));
        Directory.Delete(_work, recursive: true); // a new machine: only blob storage and the database remain

        var resumedFrom = new List<int>();
        var result = await training.RunAsync(Request(TrainingStageKind.Base, job), m => resumedFrom.Add(m.Step));

        Assert.Equal(12, result.Step);
        Assert.DoesNotContain(1, resumedFrom.Where((_, i) => i < 2)); // neither the vision stage nor the reading phase was redone from step 1
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var row = await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == job);
        Assert.Equal(("completed", 12), (row.Status, row.CompletedSteps));
        Assert.Equal(12 * 4, await db.TrainingMetrics.CountAsync(m => m.TrainingJobId == job)); // replayed steps are written once
    }

    [Fact]
    public async Task AResumeCheckpointWhoseFilesAreGoneGivesWayToTheOneBefore_AndTheJobStillEndsAtThePlannedSteps()
    {
        var training = Training(out var checkpoints);
        var job = Guid.NewGuid();
        var options = Tiny with { Base = Tiny.Base with { Steps = 6 } };
        using var crash = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => training.RunAsync(Request(TrainingStageKind.Base, job, options: options),
            m => { if (m.Phase == "base" && m.Step == 5) crash.Cancel(); }, crash.Token));
        Directory.Delete(_work, recursive: true); // a new machine: only blob storage and the database remain
        var points = await checkpoints.OfJobAsync(job, "base-resume");
        Assert.Equal([4, 2], points.Select(p => p.Step));
        var container = BlobExtensions.CreateServiceClient(stack.Blobs).GetBlobContainerClient(stack.Blobs.CheckpointsContainer);
        await foreach (var blob in container.GetBlobsAsync(prefix: points[0].BlobPrefix)) await container.DeleteBlobAsync(blob.Name);

        var steps = new List<int>();
        var result = await training.RunAsync(Request(TrainingStageKind.Base, job, options: options), m => { if (m.Phase == "base") steps.Add(m.Step); });

        Assert.Equal(14, result.Step); // vision 4 + reading 4 + view mix 6
        Assert.Equal([3, 4, 5, 6], steps); // on from step 2's checkpoint
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        Assert.Equal([4.0], await db.TrainingMetrics.AsNoTracking().Where(m => m.TrainingJobId == job && m.Name == "resume_skipped_step").Select(m => m.Value).ToListAsync());
        Assert.Equal("completed", (await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == job)).Status);

        // With every checkpoint of the phase unreadable the job fails naming them, rather than start the phase over.
        // (Another schedule, so that its checkpoints are its own: one with the content of another job's is stored once.)
        var other = Guid.NewGuid();
        options = Tiny with { Base = Tiny.Base with { Steps = 5 } };
        using var crashOther = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => training.RunAsync(Request(TrainingStageKind.Base, other, options: options),
            m => { if (m.Phase == "base" && m.Step == 3) crashOther.Cancel(); }, crashOther.Token));
        Directory.Delete(_work, recursive: true);
        var only = Assert.Single(await checkpoints.OfJobAsync(other, "base-resume"));
        await foreach (var blob in container.GetBlobsAsync(prefix: only.BlobPrefix)) await container.DeleteBlobAsync(blob.Name);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => training.RunAsync(Request(TrainingStageKind.Base, other, options: options)));
        Assert.StartsWith($"no resumable checkpoint of phase base can be read back: step 2: checkpoint {only.ContentHash[..12]} (base-resume, step 2) has no files", error.Message);
        var failed = await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == other);
        Assert.Equal(("failed", error.Message), (failed.Status, failed.FailureReason));
    }

    [Fact]
    public async Task VisrlTrainRunsWithTheThreadsItIsGiven_AndTrainAndEvalRefuseNone()
    {
        Directory.CreateDirectory(_work);
        var config = Path.Combine(_work, "tiny.json");
        File.WriteAllText(config, JsonSerializer.Serialize(Tiny with { Vision = Tiny.Vision with { Steps = 0 }, Base = Tiny.Base with { Steps = 0 } }, JsonSerializerOptions.Web));
        var job = Guid.NewGuid();
        var (exitCode, output) = await CliAsync("train", "base", "--dataset", "train-ds", "--split", "sft", "--config", config, "--job", job.ToString(), "--threads", "3");
        Assert.True(exitCode == 0, output);

        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var row = await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == job);
        Assert.Equal(("completed", 4), (row.Status, row.CompletedSteps));
        Assert.Equal(3, JsonSerializer.Deserialize<TrainingMachine>(row.MachineJson, JsonSerializerOptions.Web)!.TorchThreads);

        foreach (var command in new[] { new[] { "train", "base", "--dataset", "train-ds" }, ["eval", "--checkpoint", "any", "--dataset", "train-ds"] })
        {
            var (refused, message) = await CliAsync([.. command, "--threads", "0"]);
            Assert.NotEqual(0, refused);
            Assert.Contains("--threads must be ≥ 1", message);
        }
    }

    [Fact]
    public async Task AnSftJobEndsAtTheSameCheckpointInEveryFreshCliProcess()
    {
        // libtorch seeds its generator from the OS at start, and the focus stage adds a head right
        // after the checkpoint loads: unseeded, every process trained to a different checkpoint.
        var baseCheckpoint = await Training(out _).RunAsync(Request(TrainingStageKind.Base, Guid.NewGuid()));
        Directory.CreateDirectory(_work);
        var config = Path.Combine(_work, "sft.json");
        File.WriteAllText(config, JsonSerializer.Serialize(Tiny with
        {
            SftFocusWeight = 1.0, MirrorScenes = true,
            Focus = Tiny.Focus with { GradAccumulation = 2 }, Sft = Tiny.Sft with { GradAccumulation = 2 },
        }, JsonSerializerOptions.Web));
        var hashes = new List<string>();
        for (int run = 0; run < 2; run++)
        {
            var (exitCode, output) = await CliAsync("train", "sft", "--dataset", "train-ds", "--split", "sft", "--from", baseCheckpoint.ContentHash, "--config", config);
            Assert.True(exitCode == 0, output);
            hashes.Add(Regex.Match(output, @"sft checkpoint\S*\s+([0-9a-f]{64})").Groups[1].Value);
        }
        Assert.Matches("^[0-9a-f]{64}$", hashes[0]);
        Assert.Equal(hashes[0], hashes[1]);
    }

    private Task<(int ExitCode, string Output)> CliAsync(params string[] arguments)
    {
        return ChildProcess.RunAsync(ChildProcess.Dotnet(ChildProcess.ProjectDll("VisRL.Cli", "visrl"), stack.CliEnvironment(_database), arguments), TimeSpan.FromSeconds(120));
    }
}
