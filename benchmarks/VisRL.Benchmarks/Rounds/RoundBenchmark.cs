using System.Diagnostics;
using System.Globalization;
using System.Text;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Data.Synthetic;
using VisRL.DataGeneration;
using VisRL.Filter;
using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;
using VisRL.Torch;

namespace VisRL.Benchmarks.Rounds;

/// <summary>
/// `visrl bench round`: data-generation rounds through the real services on a "bench" stack of
/// its own (infra/stack.sh, other ports; stopped at the end), with VisRL-Tiny at its default shape
/// (random weights: the work per candidate is what counts, not the answers).
/// (a) Candidates sampled and scored per second (StartIteration → Paired) with 1 and with 2 Sampler
/// and Critic replicas, 1 torch thread each (infra/services.sh scale); goal ≥ 1.8×.
/// (b) Orchestration overhead: the 1-replica round's wall time against the same work called
/// in-process without the bus (ItemLoader → CandidateSampler → CandidateWriter, then SelfCritic →
/// ScoreWriter, then PairSetBuilder, batch by batch, 1 thread); goal ≤ 5 %.
/// Each configuration runs a warm-up round first with two batches per replica, so that every
/// replica has fetched and loaded the model before the measured round (model load, JIT).
/// Batches of 8 items: per-batch costs (a message each way, the saga's row lock, the consumers'
/// idempotency queries) are fixed, so the batch size sets how much they weigh.
/// </summary>
public static class RoundBenchmark
{
    private const int PortOffset = 20, Attempts = 3, BatchSize = 8;

    private static readonly Dictionary<string, string> StackVariables = new()
    {
        ["VISRL_STACK_NAME"] = "bench",
        ["VISRL_RABBITMQ_PORT"] = (5682 + PortOffset).ToString(CultureInfo.InvariantCulture),
        ["VISRL_RABBITMQ_MGMT_PORT"] = (15682 + PortOffset).ToString(CultureInfo.InvariantCulture),
        ["VISRL_RABBITMQ_DIST_PORT"] = (25682 + PortOffset).ToString(CultureInfo.InvariantCulture),
        ["VISRL_EPMD_PORT"] = (4379 + PortOffset).ToString(CultureInfo.InvariantCulture),
        ["VISRL_POSTGRES_PORT"] = (5442 + PortOffset).ToString(CultureInfo.InvariantCulture),
        ["VISRL_AZURITE_PORT"] = (10010 + PortOffset).ToString(CultureInfo.InvariantCulture),
    };

    public static BenchmarkReport Run(BenchmarkContext ctx) => RunAsync(ctx).GetAwaiter().GetResult();

    private static async Task<BenchmarkReport> RunAsync(BenchmarkContext ctx)
    {
        int items = ctx.Quick ? 16 : 96;
        var root = ctx.RepositoryRoot;
        ctx.Progress("starting the bench stack (infra/stack.sh up, ports +20)");
        Script(root, "infra/stack.sh", ["up"], StackVariables, ctx);
        var scripts = new Dictionary<string, string>(StackVariables);
        Script(root, "infra/services.sh", ["down"], scripts, ctx, check: false); // replicas of an earlier run hold another database
        try
        {
            var stackEnv = ReadEnv(Path.Combine(root, ".visrl", "stack-bench", "stack.env"));
            var database = await CreateDatabaseAsync(stackEnv["VISRL__DATABASE__CONNECTIONSTRING"]);
            var blobs = new BlobOptions { ConnectionString = stackEnv["VISRL__BLOBS__CONNECTIONSTRING"] };
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(database)) await db.Database.MigrateAsync();
            scripts["VISRL__DATABASE__CONNECTIONSTRING"] = database.ConnectionString;

            ctx.Progress($"seeding {items} synthetic items and a VisRL-Tiny checkpoint (default shape, random weights)");
            var storage = DatasetStorage.Create(database, blobs);
            var dataset = $"bench-{Guid.NewGuid():N}"[..20];
            var synth = await new SyntheticDatasetWriter(storage).WriteAsync(dataset, "rl", items, SyntheticSplitSpec.Create(5, sceneSize: 224, minObjects: 4, maxObjects: 6));
            var folder = Path.Combine(Path.GetTempPath(), $"visrl-bench-round-{Guid.NewGuid():N}");
            string hash;
            using (var model = VisRLTiny.Create(seed: 0)) hash = ModelCheckpoint.Save(model, folder);
            await new CheckpointStore(new VisRLDbContextFactory(database), storage.Blobs, blobs.CheckpointsContainer).PublishAsync(folder, hash, "sft", 0);
            List<long> itemIds;
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
                itemIds = await db.Items.Where(i => i.DatasetId == synth.DatasetId).OrderBy(i => i.Ordinal).Select(i => i.Id).ToListAsync();

            using var bus = StartBus(int.Parse(stackEnv["VISRL__MESSAGING__PORT"], CultureInfo.InvariantCulture));
            await bus.StartAsync();
            var rounds = new Dictionary<int, RoundResult>();
            try
            {
                foreach (int replicas in new[] { 1, 2 })
                {
                    ctx.Progress($"services: sampler={replicas} critic={replicas} (1 torch thread each)");
                    Script(root, "infra/services.sh", ["up"], scripts, ctx);
                    Script(root, "infra/services.sh", ["scale", $"sampler={replicas}", $"critic={replicas}"], scripts, ctx);
                    // A message published before a service has bound its queue would be lost: wait for every consumer.
                    await WaitForConsumersAsync(int.Parse(stackEnv["VISRL__MESSAGING__MANAGEMENTPORT"], CultureInfo.InvariantCulture), replicas);
                    await RoundAsync(bus, database, dataset, hash, Math.Min(items, 2 * replicas * BatchSize), ctx, $"warm-up ({replicas} replica(s))");
                    rounds[replicas] = await RoundAsync(bus, database, dataset, hash, items, ctx, $"measured ({replicas} replica(s))");
                }
            }
            finally
            {
                Script(root, "infra/services.sh", ["down"], scripts, ctx, check: false);
                await bus.StopAsync();
            }

            ctx.Progress("in-process: the same work without the bus, 1 thread");
            int threads = TorchRuntime.NumThreads;
            TorchRuntime.SetNumThreads(1);
            double inProcess;
            try
            {
                using var model = ModelCheckpoint.Load(folder);
                await InProcessAsync(model, hash, storage, database, synth.DatasetId, itemIds.Take(2 * BatchSize).ToList());
                inProcess = await InProcessAsync(model, hash, storage, database, synth.DatasetId, itemIds);
            }
            finally
            {
                TorchRuntime.SetNumThreads(threads);
                try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
            }
            await DropDatabaseAsync(stackEnv["VISRL__DATABASE__CONNECTIONSTRING"], database); // a failed run keeps its database for a look
            return Report(items, rounds[1], rounds[2], inProcess);
        }
        finally
        {
            ctx.Progress("stopping the bench stack");
            Script(root, "infra/stack.sh", ["down"], StackVariables, ctx, check: false);
        }
    }

    private sealed record RoundResult(double Seconds, int Candidates, int Scores, int Pairs);

    /// <summary>StartIteration through the bus, then the iterations table polled every 50 ms until Paired.</summary>
    private static async Task<RoundResult> RoundAsync(IHost bus, DatabaseOptions database, string dataset, string hash, int items,
        BenchmarkContext ctx, string label)
    {
        var config = $"{{\"batchSize\":{BatchSize},\"sampling\":{{\"attempts\":{Attempts}}}}}";
        var start = new StartIteration(NewId.NextGuid(), NewId.NextGuid(), 1, dataset, hash, hash, items, config);
        var clock = Stopwatch.StartNew();
        await bus.Services.GetRequiredService<IBus>().Publish(start);
        while (true)
        {
            await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
            var iteration = await db.Iterations.AsNoTracking().SingleOrDefaultAsync(i => i.Id == start.IterationId);
            if (iteration?.State == "Failed") throw new InvalidOperationException($"bench round failed: {iteration.FailureReason}");
            if (iteration?.State == "Paired")
            {
                double seconds = clock.Elapsed.TotalSeconds;
                int candidates = await db.Candidates.CountAsync(c => c.IterationId == start.IterationId);
                int scores = await db.Scores.CountAsync(s => db.Candidates.Any(c => c.Id == s.CandidateId && c.IterationId == start.IterationId));
                int pairs = (await db.PairSets.AsNoTracking().SingleAsync(p => p.IterationId == start.IterationId)).PairCount;
                ctx.Progress($"{label}: {items} items, {candidates} candidates, {scores} scores, {pairs} pairs in {seconds:F2} s ({candidates / seconds:F1} candidates/s)");
                return new RoundResult(seconds, candidates, scores, pairs);
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(20)) throw new TimeoutException($"bench round {label} did not end in 20 minutes ({iteration?.State})");
            await Task.Delay(50);
        }
    }

    /// <summary>What the Sampler, Critic and Filter do for a round, batch by batch, in this process.</summary>
    private static async Task<double> InProcessAsync(VisRLTiny model, string hash, DatasetStorage storage, DatabaseOptions database, Guid datasetId, List<long> itemIds)
    {
        var iterationId = NewId.NextGuid();
        var now = DateTimeOffset.UtcNow;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
        {
            var runId = NewId.NextGuid();
            db.Runs.Add(new Run { Id = runId, Name = "bench-in-process", Status = "running", CreatedAt = now, UpdatedAt = now });
            db.Iterations.Add(new Iteration
            {
                Id = iterationId, RunId = runId, Number = 1, DatasetId = datasetId, PolicyCheckpoint = hash, JudgeCheckpoint = hash,
                State = "Sampling", ItemCount = itemIds.Count, CreatedAt = now, UpdatedAt = now,
            });
            await db.SaveChangesAsync();
        }
        var settings = new SamplingSettings(Attempts: Attempts);
        var clock = Stopwatch.StartNew();
        foreach (var chunk in itemIds.Chunk(BatchSize))
        {
            var load = await ItemLoader.LoadAsync(storage, chunk);
            var candidates = new CandidateSampler(model).Sample([.. load.Loaded.Select(i => new SampleItem(i.Row.Id, i.Image, i.Row.Question))], settings);
            await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
            await CandidateWriter.WriteAsync(db, iterationId, candidates);
        }
        foreach (var chunk in itemIds.Chunk(BatchSize))
        {
            await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
            var rows = await db.Candidates.AsNoTracking().Where(c => c.IterationId == iterationId && chunk.Contains(c.ItemId)).ToListAsync();
            var loaded = (await ItemLoader.LoadAsync(storage, chunk)).Loaded.ToDictionary(i => i.Row.Id);
            var inputs = rows.Where(c => loaded.ContainsKey(c.ItemId)).Select(c =>
            {
                var item = loaded[c.ItemId];
                VisRL.Imaging.Geometry.Box? box = c is { X1: { } x1, Y1: { } y1, X2: { } x2, Y2: { } y2 } ? new VisRL.Imaging.Geometry.Box(x1, y1, x2, y2) : null;
                return new CriticInput(c.Id, item.Image, item.Row.Question, item.Row.StandardAnswer, box, c.Answer);
            }).ToList();
            await ScoreWriter.WriteAsync(db, hash, new SelfCritic(model).Score(inputs, useBoxCritic: true));
        }
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
            await new PairSetBuilder(db).BuildAsync(iterationId, new FilterThresholds(), CancellationToken.None);
        return clock.Elapsed.TotalSeconds;
    }

    private static BenchmarkReport Report(int items, RoundResult one, RoundResult two, double inProcess)
    {
        double rate1 = one.Candidates / one.Seconds, rate2 = two.Candidates / two.Seconds;
        double ratio = rate2 / rate1;
        double overhead = (one.Seconds - inProcess) / inProcess;
        var md = new StringBuilder();
        md.AppendLine("## Round: data generation through the services");
        md.AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"VisRL-Tiny (default shape, random weights), {items} synthetic items (224 px), {Attempts} attempts × 2 candidates, batches of {BatchSize}; ")
            + string.Create(CultureInfo.InvariantCulture, $"services as local processes (infra/services.sh) on a bench stack; this machine has {Environment.ProcessorCount} cores shared with the stack's servers and the Orchestrator and Filter. ")
            + "Wall time from StartIteration published to Paired; each configuration after a warm-up round.");
        md.AppendLine();
        md.AppendLine("| Sampler + Critic replicas (1 thread each) | candidates | scores | wall (s) | candidates/s |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| 1 + 1 | {one.Candidates} | {one.Scores} | {one.Seconds:F2} | {rate1:F1} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| 2 + 2 | {two.Candidates} | {two.Scores} | {two.Seconds:F2} | {rate2:F1} |");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Scaling 2 replicas / 1: **{ratio:F2}×** (goal ≥ 1.8×; {(ratio >= 1.8 ? "met" : "not met")}; with {Environment.ProcessorCount} cores, two 1-thread replicas of each stage plus the servers leave little room above 2×).");
        md.AppendLine();
        md.AppendLine("| orchestration overhead | wall (s) |");
        md.AppendLine("| --- | ---: |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| round through the bus (1 + 1 replicas) | {one.Seconds:F2} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| same work in-process (CandidateSampler, SelfCritic, PairSetBuilder; 1 thread) | {inProcess:F2} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| overhead | **{overhead * 100:F1} %** (goal ≤ 5 %; {(overhead <= 0.05 ? "met" : "not met")}) |");
        return new BenchmarkReport("round", md.ToString(), new Dictionary<string, double>
        {
            ["candidates_per_s_1"] = rate1, ["candidates_per_s_2"] = rate2, ["scaling_ratio"] = ratio,
            ["round_s_bus"] = one.Seconds, ["round_s_in_process"] = inProcess, ["overhead"] = overhead,
        });
    }

    /// <summary>Until the sampler and critic queues have <paramref name="replicas"/> consumers and the orchestrator and filter theirs (RabbitMQ management API).</summary>
    private static async Task WaitForConsumersAsync(int managementPort, int replicas)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
        var until = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{managementPort}/api/queues?columns=name,consumers"));
            var consumers = doc.RootElement.EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!,
                q => q.TryGetProperty("consumers", out var c) ? c.GetInt32() : 0);
            if (consumers.GetValueOrDefault("sampler-sample-batch") == replicas && consumers.GetValueOrDefault("critic-score-batch") == replicas
                && consumers.GetValueOrDefault("filter-build-pairs") >= 1
                && consumers.Count(q => q.Key.StartsWith("orchestrator-", StringComparison.Ordinal) && q.Value > 0) >= 2)
                return;
            if (DateTime.UtcNow > until) throw new TimeoutException("the services did not all start consuming within 2 minutes (see .visrl/stack-bench/services/logs)");
            await Task.Delay(200);
        }
    }

    private static IHost StartBus(int port)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Log:MinimumLevel"] = "Warning",
        });
        builder.AddVisRLServiceDefaults("bench");
        builder.AddVisRLMessaging();
        return builder.Build();
    }

    private static async Task<DatabaseOptions> CreateDatabaseAsync(string connectionString)
    {
        var name = $"visrl_bench_{Guid.NewGuid():N}"[..30];
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new DatabaseOptions { ConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Database = name }.ConnectionString };
    }

    private static async Task DropDatabaseAsync(string serverConnectionString, DatabaseOptions database)
    {
        NpgsqlConnection.ClearAllPools(); // the bench's own pooled connections would hold the database open
        await using var connection = new NpgsqlConnection(serverConnectionString);
        await connection.OpenAsync();
        var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database;
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static Dictionary<string, string> ReadEnv(string path) =>
        File.ReadLines(path).Where(l => l.Contains('=', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);

    private static void Script(string root, string script, string[] arguments, IDictionary<string, string> environment, BenchmarkContext ctx, bool check = true)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = root, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(root, script));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {script}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        foreach (var line in (stdout + stderr.Result).Split('\n', StringSplitOptions.RemoveEmptyEntries)) ctx.Progress(line);
        if (check && process.ExitCode != 0) throw new InvalidOperationException($"{script} {string.Join(' ', arguments)} failed ({process.ExitCode})");
    }
}
