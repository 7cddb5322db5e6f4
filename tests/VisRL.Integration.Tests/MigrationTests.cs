using Microsoft.EntityFrameworkCore;
using Npgsql;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Integration.Tests;

/// <summary>The migrations on an empty real PostgreSQL, and the unique keys that make consumers idempotent.</summary>
[Collection(StackCollection.Name)]
public class MigrationTests : IAsyncLifetime
{
    private DatabaseOptions _database = null!;

    public async Task InitializeAsync()
    {
        _database = await TestStack.CreateMigratedDatabaseAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task MigrationsApplyToAnEmptyDatabaseAndTwiceIsHarmless()
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Contains("20261121000001_InitialSchema", await db.Database.GetAppliedMigrationsAsync());
        await db.Database.MigrateAsync();
        Assert.Equal(0, await db.Items.CountAsync());
    }

    [Fact]
    public async Task TheSchemaMatchesTheEfModel()
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var columns = await ColumnsAsync();
        foreach (var entity in db.Model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            Assert.True(columns.ContainsKey(table), $"table {table} is missing from the migrated schema");
            var expected = entity.GetProperties().Where(p => p.GetColumnName() != "xmin")
                .ToDictionary(p => p.GetColumnName(), p => p.IsNullable);
            Assert.Equal(expected.Keys.Order(), columns[table].Keys.Order());
            foreach (var (column, nullable) in expected)
                Assert.True(columns[table][column] == nullable, $"{table}.{column}: nullable is {columns[table][column]}, the model says {nullable}");
        }
    }

    public static TheoryData<string, string> IdempotencyKeys() => new()
    {
        { "datasets", "ix_datasets_name" },
        { "items", "ix_items_dataset_id_split_ordinal" },
        { "iterations", "ix_iterations_run_id_number" },
        { "batches", "ix_batches_iteration_id_stage_ordinal" },
        { "candidates", "ix_candidates_iteration_id_item_id_attempt_kind" },
        { "scores", "ix_scores_candidate_id_judge_id" },
        { "pair_sets", "ix_pair_sets_iteration_id_name" },
        { "pairs", "ix_pairs_pair_set_id_item_id_ordinal" },
        { "checkpoints", "ix_checkpoints_content_hash" },
        { "training_metrics", "ix_training_metrics_training_job_id_step_name" },
        { "reference_log_probs", "ix_reference_log_probs_training_job_id_pair_id_term" },
        { "evaluations", "ix_evaluations_evaluation_run_id_family" },
        { "evaluation_items", "ix_evaluation_items_evaluation_run_id_position" },
        { "work_failures", "ix_work_failures_iteration_id_item_id_stage" },
    };

    [Theory]
    [MemberData(nameof(IdempotencyKeys))]
    public async Task ADuplicateOnAnIdempotencyKeyIsRejected(string table, string uniqueIndex)
    {
        await SeedOneOfEachAsync();
        var columns = (await ColumnsAsync())[table].Keys.Where(c => c != "id").ToList();
        var idType = await ScalarAsync<string>($"SELECT data_type FROM information_schema.columns WHERE table_name = '{table}' AND column_name = 'id'");
        var (targets, values) = idType == "uuid"
            ? (new[] { "id" }.Concat(columns), new[] { "gen_random_uuid()" }.Concat(columns))
            : (columns, columns);
        var copy = $"INSERT INTO {table} ({string.Join(", ", targets)}) SELECT {string.Join(", ", values)} FROM {table} LIMIT 1";

        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(copy));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
        Assert.Equal(uniqueIndex, error.ConstraintName);
    }

    private async Task SeedOneOfEachAsync()
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var now = DateTimeOffset.UtcNow;
        var dataset = new Dataset { Id = Guid.NewGuid(), Name = "synthetic-a", Source = "synthetic", CreatedAt = now };
        var item = new Item { DatasetId = dataset.Id, Split = "rl", Ordinal = 0, ImageBlobKey = "a/0.png", Question = "q?", StandardAnswer = "7" };
        var run = new Run { Id = Guid.NewGuid(), Name = "run", Status = "running", CreatedAt = now, UpdatedAt = now };
        var iteration = new Iteration
        {
            Id = Guid.NewGuid(), RunId = run.Id, Number = 1, DatasetId = dataset.Id, PolicyCheckpoint = "p", JudgeCheckpoint = "j",
            State = "Sampling", CreatedAt = now, UpdatedAt = now,
        };
        db.AddRange(dataset, item, run, iteration);
        await db.SaveChangesAsync();

        var own = new Candidate { IterationId = iteration.Id, ItemId = item.Id, Attempt = 0, Kind = "own", BoxText = "[0.1, 0.1, 0.2, 0.2]", Answer = "7", CreatedAt = now };
        var diverse = new Candidate { IterationId = iteration.Id, ItemId = item.Id, Attempt = 0, Kind = "diverse", BoxText = "[0.6, 0.6, 0.7, 0.7]", Answer = "3", CreatedAt = now };
        var pairSet = new PairSet { Id = Guid.NewGuid(), IterationId = iteration.Id, CreatedAt = now };
        var job = new TrainingJob { Id = Guid.NewGuid(), Stage = "dpo_box", Status = "running", CreatedAt = now, UpdatedAt = now };
        db.AddRange(own, diverse, pairSet, job,
            new Batch { Id = Guid.NewGuid(), IterationId = iteration.Id, Stage = "sample", Ordinal = 0, ItemIds = [item.Id], Status = "done" },
            new Checkpoint { Id = Guid.NewGuid(), ContentHash = "abc", BlobKey = "checkpoints/abc", Stage = "sft", CreatedAt = now },
            new Evaluation { EvaluationRunId = Guid.NewGuid(), Checkpoint = "abc", DatasetId = dataset.Id, Split = "test", Mode = "cot", Family = "all", CreatedAt = now },
            new EvaluationItem { EvaluationRunId = Guid.NewGuid(), Position = 0, Family = "attributes", AnswerCorrect = true, DetectionHit = false },
            new WorkFailure { IterationId = iteration.Id, ItemId = item.Id, Stage = "sample", Reason = "corrupt image", CreatedAt = now });
        await db.SaveChangesAsync();

        var pair = new Pair { PairSetId = pairSet.Id, ItemId = item.Id, ChosenCandidateId = own.Id, RejectedCandidateId = diverse.Id };
        db.AddRange(
            new Score { CandidateId = own.Id, JudgeId = "j", AnswerScore = 1, BoxScore = 0.9, CreatedAt = now },
            pair,
            new TrainingMetric { TrainingJobId = job.Id, Step = 1, Name = "loss", Value = 0.69, CreatedAt = now });
        await db.SaveChangesAsync();

        db.Add(new ReferenceLogProb { TrainingJobId = job.Id, PairId = pair.Id, Term = "box/chosen", LogProb = -3.2 });
        await db.SaveChangesAsync();
    }

    private async Task<Dictionary<string, Dictionary<string, bool>>> ColumnsAsync()
    {
        var result = new Dictionary<string, Dictionary<string, bool>>();
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT table_name, column_name, is_nullable = 'YES' FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '\\_\\_%'",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var table = reader.GetString(0);
            if (!result.TryGetValue(table, out var columns)) result[table] = columns = [];
            columns[reader.GetString(1)] = reader.GetBoolean(2);
        }
        return result;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
